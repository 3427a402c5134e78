# setup/dns.py serve() on the unix port (real time): answers on the AP's
# address while the AP is open, then returns and closes its socket.
#   micropython dns_serve.py PORT
import sys
import asyncio
from setup import dns

port = int(sys.argv[1])


class FakeAp:
    def __init__(self):
        self.open = True

    def is_open(self):
        return self.open

    def address(self):
        return "127.0.0.1"


async def main():
    ap = FakeAp()
    task = asyncio.create_task(dns.serve(ap, port))
    await asyncio.sleep_ms(100)
    print("READY")
    line = await asyncio.StreamReader(sys.stdin).readline()  # the test says when it is done
    ap.open = False
    await asyncio.wait_for(task, 2)
    print("STOPPED", line.strip().decode())


asyncio.run(main())
