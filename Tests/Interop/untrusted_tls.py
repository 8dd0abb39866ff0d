#!/usr/bin/env python3
"""A TLS server on loopback with a fresh self-signed certificate nobody trusts, for one client run.

  untrusted_tls.py COMMAND ARGUMENT...

Makes a certificate for 127.0.0.1 with openssl, listens on a free loopback port, runs COMMAND with
every "{port}" in its arguments replaced by that port (60 s at most), and completes TLS handshakes
(or sees them fail) while it runs. Prints the command's standard output and error, then one line
`handshakes attempted: N`, and exits with the command's status (124 if it had to be killed). The
certificate and key are removed at the end; no process outlives the script.
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory = tempfile.mkdtemp(prefix="lethe-tls-", dir="/tmp")
    try:
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
            check=True, capture_output=True, timeout=30)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        attempts = []

        def serve():
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return  # the listener was closed: the run is over
                attempts.append(1)
                try:
                    with context.wrap_socket(connection, server_side=True) as tls:
                        tls.recv(1)
                except (OSError, ssl.SSLError):
                    pass  # the client refused the certificate: what this server is for
                finally:
                    connection.close()

        threading.Thread(target=serve, daemon=True).start()
        port = str(listener.getsockname()[1])
        command = [argument.replace("{port}", port) for argument in sys.argv[1:]]
        try:
            run = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            status, output = run.returncode, run.stdout + run.stderr
        except subprocess.TimeoutExpired as expired:  # run() has killed the command
            status, output = 124, (expired.stdout or b"") + (expired.stderr or b"")
        listener.close()
        sys.stdout.write(output.decode(errors="replace"))
        print(f"handshakes attempted: {len(attempts)}")
        sys.exit(status)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
