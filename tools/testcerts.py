"""Certificates for the host's HTTPS servers (tools/nsserver.py with certfile/keyfile):
a family's own CA and a server certificate it signed, made with `cryptography` (pinned in
requirements-host.txt), each valid from a day before now for 30 days unless dated otherwise.

    ca_key, ca_crt = make_ca(folder, "family-ca")
    key, crt = server_cert(folder, ca_key, ca_crt)       # for localhost and 127.0.0.1
    key, crt = server_cert(folder, ca_key, ca_crt, "old", not_before=a, not_after=b)   # datetimes, UTC

The board checks a certificate's dates against its own clock (tools/host/board_tls.py):
a world whose clock runs on another calendar than today needs certificates dated for it,
and an expired one is made by its dates. Test and soak material only: the box checks the
server against the CA file it is given (nightscout.ca_file), as it would a home server's
own CA."""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DAYS = 30


def _window(not_before, not_after):
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = not_before or now - datetime.timedelta(days=1)
    return not_before, not_after or not_before + datetime.timedelta(days=DAYS + 1)


def _write(folder, name, key, cert):
    key_path, crt_path = folder / (name + ".key"), folder / (name + ".pem")
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    crt_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, crt_path


def _names(hosts):
    return x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]
                                       + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])


def _builder(subject, issuer, key, not_before, not_after):
    not_before, not_after = _window(not_before, not_after)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after))


def make_ca(folder, name, hosts=(), not_before=None, not_after=None):
    """(key, certificate) paths of a self-signed CA named `name` in folder (a pathlib.Path);
    with hosts, it names them too (a self-signed server certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    b = _builder(subject, subject, key, not_before, not_after).add_extension(
        x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if hosts:
        b = b.add_extension(_names(hosts), critical=False)
    return _write(folder, name, key, b.sign(key, hashes.SHA256()))


def server_cert(folder, ca_key, ca_crt, name="srv", hosts=("localhost",), not_before=None, not_after=None):
    """(key, certificate) paths of a server certificate for the host names `hosts` and
    127.0.0.1, signed by the CA, valid from not_before to not_after (datetimes, UTC)."""
    ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    signer = serialization.load_pem_private_key(ca_key.read_bytes(), None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (_builder(subject, ca_cert.subject, key, not_before, not_after)
            .add_extension(_names(hosts), critical=False).sign(signer, hashes.SHA256()))
    return _write(folder, name, key, cert)
