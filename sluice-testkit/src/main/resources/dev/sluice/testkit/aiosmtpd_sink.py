"""SMTP sink for tests, on aiosmtpd (Debian python3-aiosmtpd, run with /usr/bin/python3).

Saves each message to DIR as smtp-sink does (X-Client-Addr, X-Helo-Args, X-Mail-Args, X-Rcpt-Args headers,
plus X-TLS), then the message. Prints "READY host:port" once it accepts connections.
"""
import argparse
import itertools
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller

ap = argparse.ArgumentParser()
ap.add_argument("--host", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--require-starttls", action="store_true")
ap.add_argument("--data-reply", default="250 OK", help="reply to DATA, e.g. '451 try later'")
ap.add_argument("--rcpt-reply", default=None, help="reply to every RCPT instead of 250 OK")
ap.add_argument("--rcpt-reply-count", type=int, default=-1,
                help="give --rcpt-reply to this many RCPTs only, then 250 OK (default: every one)")
args = ap.parse_args()

counter = itertools.count(1)
rcpt_replies_left = [args.rcpt_reply_count]


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if args.rcpt_reply and rcpt_replies_left[0] != 0:
            rcpt_replies_left[0] -= 1
            return args.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not args.data_reply.startswith("2"):
            return args.data_reply
        n = next(counter)
        lines = [
            "X-Client-Addr: %s" % session.peer[0],
            "X-Helo-Args: %s" % (session.host_name or ""),
            "X-Mail-Args: <%s>" % (envelope.mail_from or ""),
        ]
        lines += ["X-Rcpt-Args: <%s>" % r for r in envelope.rcpt_tos]
        lines.append("X-TLS: %s" % ("yes" if session.ssl is not None else "no"))
        head = ("\r\n".join(lines) + "\r\n").encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = os.path.join(args.dir, "%s.%06d" % (time.strftime("%Y%m%d%H%M%S"), n))
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(head + content)
        os.rename(tmp, name)  # readers never see a half-written file
        return args.data_reply


kwargs = {}
if args.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    kwargs["tls_context"] = ctx
    kwargs["require_starttls"] = args.require_starttls

controller = Controller(Handler(), hostname=args.host, port=args.port, **kwargs)
controller.start()
print("READY %s:%d tls=%s" % (args.host, args.port, "yes" if args.cert else "no"), flush=True)

done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
signal.signal(signal.SIGINT, lambda *_: done.set())
while not done.wait(1):
    pass
controller.stop()
sys.exit(0)
