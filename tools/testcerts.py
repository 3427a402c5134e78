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
