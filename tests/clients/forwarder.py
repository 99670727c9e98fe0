"""A TCP forwarder the client story puts between the dev server and DynamoDB Local, so that it
can take the database away: SIGUSR1 closes the listening socket and every open connection, and
from then on the dev server finds nothing at its DynamoDB endpoint (its answers become 503).

    python3 tests/clients/forwarder.py LISTEN_PORT TARGET_HOST:TARGET_PORT

It exits when its parent does (infra/scripts/clients.sh), so a failed run leaves nothing behind.
"""

import asyncio
import os
import signal
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen_port: int, target: str) -> None:
    host, port = target.rsplit(":", 1)
    parent = os.getppid()
    tasks: set[asyncio.Task] = set()

    async def serve(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        for task in (
            asyncio.create_task(pipe(client_reader, upstream_writer)),
            asyncio.create_task(pipe(upstream_reader, client_writer)),
        ):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(serve, "127.0.0.1", listen_port)
    cut = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, cut.set)
    while not cut.is_set() and os.getppid() == parent:
        try:
            await asyncio.wait_for(cut.wait(), 0.5)
        except TimeoutError:
            pass
    server.close()
    for task in list(tasks):
        task.cancel()
    print("forwarder: cut", file=sys.stderr, flush=True)
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
