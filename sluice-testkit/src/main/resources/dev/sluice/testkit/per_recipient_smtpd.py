"""aiosmtpd server answering each RCPT by its local part, for per-recipient client tests.

defer*  -> 451 4.2.1 mailbox busy
reject* -> 550 5.1.1 no such user
slow*   -> waits --slow seconds, then 250
else    -> 250 OK
Messages are saved as DIR/<n>.eml with X-Rcpt-Args headers (the recipients the server accepted).
Advertises PIPELINING (aiosmtpd does not by itself). Prints "READY host:port" once it accepts connections.
"""
import argparse
import asyncio
import itertools
import os
import signal
import threading

from aiosmtpd.controller import Controller

ap = argparse.ArgumentParser()
ap.add_argument("--host", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--slow", type=float, default=5.0)
args = ap.parse_args()
counter = itertools.count(1)


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd reads commands one after another, so pipelined input is safe: advertise it.
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING"] + responses[-1:]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("defer"):
            return "451 4.2.1 mailbox busy"
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        if local.startswith("slow"):
            await asyncio.sleep(args.slow)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        lines = ["X-Mail-Args: <%s>" % (envelope.mail_from or "")]
        lines += ["X-Rcpt-Args: <%s>" % r for r in envelope.rcpt_tos]
        head = ("\r\n".join(lines) + "\r\n").encode()
        name = os.path.join(args.dir, "%06d.eml" % next(counter))
        with open(name + ".tmp", "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 queued"


controller = Controller(Handler(), hostname=args.host, port=args.port)
controller.start()
print("READY %s:%d" % (args.host, args.port), flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
signal.signal(signal.SIGINT, lambda *_: done.set())
while not done.wait(1):
    pass
controller.stop()
