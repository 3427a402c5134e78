"""Certificates for the host's HTTPS servers (tools/nsserver.py with certfile/keyfile):
a family's own CA and a server certificate it signed, made with the openssl command.

    ca_key, ca_crt = make_ca(folder, "family-ca")
    key, crt = server_cert(folder, ca_key, ca_crt)       # for localhost and 127.0.0.1

Test and soak material only: the box checks the server against the CA file it is given
(nightscout.ca_file), as it would a home server's own CA."""
import shutil
import subprocess

OPENSSL = shutil.which("openssl")
DAYS = "30"


def _openssl(*args):
    if OPENSSL is None:
        raise RuntimeError("openssl is needed to make the test certificates")
    subprocess.run([OPENSSL] + [str(a) for a in args], check=True, capture_output=True)


def make_ca(folder, name, *extra):
    """(key, certificate) paths of a self-signed CA named `name` in folder (a pathlib.Path)."""
    key, crt = folder / (name + ".key"), folder / (name + ".pem")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS, "-subj", "/CN=" + name,
             "-keyout", key, "-out", crt, *extra)
    return key, crt


def server_cert(folder, ca_key, ca_crt, name="srv", hosts=("localhost",)):
    """(key, certificate) paths of a server certificate for the host names `hosts` and
    127.0.0.1, signed by the CA."""
    key, csr, crt = folder / (name + ".key"), folder / (name + ".csr"), folder / (name + ".pem")
    ext = folder / (name + ".cnf")
    ext.write_text("subjectAltName=%s,IP:127.0.0.1\n" % ",".join("DNS:" + h for h in hosts))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-days", DAYS,
             "-extfile", ext, "-out", crt)
    return key, crt


def dated_server_cert(folder, ca_key, ca_crt, not_before, not_after, name="dated", hosts=("localhost",)):
    """(key, certificate) paths of a server certificate valid from not_before to not_after
    (datetimes, UTC) for `hosts` and 127.0.0.1, signed by the CA: the openssl command here
    (3.0) dates a certificate from now only; an expired one, or one the box's clock is
    before, needs other dates."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    signer = serialization.load_pem_private_key(ca_key.read_bytes(), None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(signer, hashes.SHA256()))
    key_path, crt_path = folder / (name + ".key"), folder / (name + ".pem")
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    crt_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, crt_path
