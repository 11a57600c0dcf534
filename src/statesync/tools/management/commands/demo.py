import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from statesync.access import audit
from statesync.core import catalog, config
from statesync.tools.demo.editions import MIGRATE, Editions, wait_listening
from statesync.tools.demo.seed import SCALES
from statesync.tools.demo.users import DEMO_USERS, demo_users
from statesync.web.server import server_argv

# Seconds one of the demo's own requests (a resync, a records request) may take; past that it
# is stopped and the demo's output says where it waited.
STEP_TIMEOUT = 150


class Command(BaseCommand):
    help = "Run the whole system on this machine: migrate, seed, users, web server and worker."
    # It records itself once its databases exist (the door, before it runs, finds none in a new
    # data folder). With --districts its own folder holds no database: each step it takes is a
    # command audited in the edition it changes.
    audits_itself = True

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reseed", action="store_true", help="Replace the district's data.")
        parser.add_argument(
            "--districts",
            type=int,
            default=0,
            help="Run the state and this many district editions, each with its own database, "
            "worker and web address (ports after --port); students move between neighbours.",
        )
        parser.add_argument(
            "--router",
            action="store_true",
            help="With --districts: also a second state (WI) with a district of its own and the "
            "National Records Exchange's router; every district registers, and the other "
            "state's district asks district 0001 for a student's records (docs/EXCHANGE.md).",
        )
        parser.add_argument(
            "--edfi",
            action="store_true",
            help="With --districts: also an Ed-Fi district at the state (0090), fed with the Ed-Fi "
            "sample district Grand Bend through the Ed-Fi door (docs/EDFI.md).",
        )

    def handle(self, *args, scale, host, port, reseed, districts, edfi, router, **opts):
        if router and not districts:
            raise CommandError("--router runs beside district editions: add --districts N")
        if districts:
            if not 1 <= districts <= 9:
                raise CommandError(f"--districts {districts}: run 1 to 9 district editions")
            for each in range(districts + 1 + (3 if router else 0)):
                _check_free(host, port + each)
            MultiDemo(self, host, port, scale, reseed, edfi, router).run(districts)
            return
        if settings.ROLE != "both":
            raise CommandError(
                "the demo runs both editions: unset STATESYNC_ROLE or set it to both"
            )
        _check_free(host, port)  # before anything starts or a password is printed
        self.stdout.write(f"Data folder: {config.get_home()}")
        call_command("migrate", interactive=False, verbosity=0)  # every database
        audit.record_command("command.demo", "demo", scale=scale, port=port, reseed=reseed)
        # Both editions' apps are installed only in role "both", checked above.
        from statesync.district.models import dis_model  # noqa: PLC0415

        if reseed or not dis_model(catalog.ROOT).objects.exists():
            self.stdout.write(f"Seeding a {scale} district, 2022-2023 and 2023-2024…")
            call_command("seed", scale=scale, years=2)
        url = f"http://{host}:{port}"
        self._connect_to_state(url)
        passwords = demo_users()
        logins = "\n".join(
            f"  {name:<7} password: {password:<14} {DEMO_USERS[name]}"
            for name, password in passwords.items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nstatesync is starting on {url}/  Log in as:\n{logins}\n"
                "Press Ctrl-C to stop the web server and the worker.\n"
            )
        )
        self._serve(host, port)

    def _connect_to_state(self, url: str) -> None:
        """Register district 0001 at the (local) state and save its token for the district."""
        from statesync.district.models import dis_model  # noqa: PLC0415  (role "both")
        from statesync.state.models import ApiToken, District  # noqa: PLC0415  (role "both")

        number = "0001"
        district = District.objects.filter(number=number).first()
        if district is None:  # under the name the district itself has: one name everywhere
            own = dis_model(catalog.ROOT).objects.values_list("name", flat=True).first()
            district = District.register(number, own or "Demo District")
        saved = config.get_dis_connection()
        token_ok = (
            saved
            and (found := ApiToken.authenticate(saved.token))
            and found.district_id == district.pk
        )
        token = saved.token if saved and token_ok else district.issue_token("demo")
        config.save_dis_connection(url, token)

    def _serve(self, host: str, port: int) -> None:
        # E-mail links point where the demo is actually served.
        env = {**os.environ, "STATESYNC_BASE_URL": f"http://{host}:{port}"}
        web = subprocess.Popen(server_argv(host, port, workers=2))
        # A starting worker asks the state (this server) at once: not before it listens.
        wait_listening(host, port, web)
        worker = subprocess.Popen([sys.executable, "-m", "statesync", "worker"], env=env)
        watch((web, worker))


class MultiDemo:
    """The state and N district editions (statesync.tools.demo.editions), each with its own web
    server and worker."""

    def __init__(
        self,
        command: BaseCommand,
        host: str,
        port: int,
        scale: str,
        reseed: bool,
        edfi: bool,
        router: bool = False,
    ):
        self.out, self.style, self.host, self.port = command.stdout, command.style, host, port
        self.scale, self.reseed, self.edfi, self.router = scale, reseed, edfi, router
        self.home = config.get_home()
        self.editions = Editions(self.home, host, port)

    def run(self, count: int) -> None:
        state = self.editions.state_env()
        self.out.write(f"Data folder: {self.home}")
        self.editions.cli(state, *MIGRATE)
        users = json.loads(self.editions.cli(state, "demo_users"))
        editions = [("State", state, self.port, users)]
        # Each district is prepared in its own processes: on several cores the demo starts sooner.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            loaded = pool.submit(self._edfi_district, state) if self.edfi else None
            editions += pool.map(lambda k: self._prepare(state, k), range(1, count + 1))
            if loaded is not None:
                self.out.write(loaded.result())
        if self.router:
            editions += self._across_the_line(count)
        self._announce(editions)
        servers = [
            subprocess.Popen(server_argv(self.host, port, workers=1), env=env)
            for _, env, port, _ in editions
        ]
        # A starting worker asks the state at once: every edition listens first.
        try:
            for server, (_, _, port, _) in zip(servers, editions, strict=True):
                wait_listening(self.host, port, server)
        except CommandError:
            for server in servers:
                server.terminate()
            raise
        argv = [sys.executable, "-m", "statesync", "worker"]
        workers = [
            subprocess.Popen(argv, env=env)
            for _, env, _, _ in editions
            if env["STATESYNC_ROLE"] == "district"
        ]
        if count >= 2:  # while people log in: a mover's records asked for, waiting
            mover = threading.Thread(target=self._mover, args=(editions,), daemon=True)
            mover.start()
        if self.router:  # and a student from across the state line
            across = threading.Thread(target=self._national, args=(editions,), daemon=True)
            across.start()
        watch([*servers, *workers])

    def _mover(self, editions: list[tuple]) -> None:
        """Districts 0001 and 0002 send the state their students (enrollments and what they
        hang on: the rest is left for people to resync), then 0002 asks for the records of a
        student who moved there from 0001: the request waits in 0001's inbox."""
        first, second = editions[1][1], editions[2][1]
        people = ("--objects", catalog.ENROLLMENT, "--check-dependencies", "--foreground")
        try:
            for env in (first, second):
                self.editions.cli(env, "resync", *people, timeout=STEP_TIMEOUT)
            said = self.editions.cli(second, "demo_mover", timeout=STEP_TIMEOUT).strip()
        except CommandError as exc:
            self.out.write(f"The demo's records request was not made: {exc}")
            return
        self.out.write(
            f"Student Records Transfer: {said}. It waits in district 0001's inbox "
            "(its page /district/transfers/)."
        )

    def _across_the_line(self, count: int) -> list[tuple]:
        """A second state with one district (seeded as district 0001 here is: the same
        students, as if they had moved) and the National Records Exchange's router."""
        port = self.port + count + 1
        other = Editions(self.home / "state-wi", self.host, port)
        state = other.state_env()
        other.cli(state, *MIGRATE)
        # Seeded as 0001 here is (the same students, as if they had moved), under a number
        # of its own: its schools are in towns of their own.
        district = self._prepare(state, 1, other, number="0101")
        router = self.editions.env("router", "router", port + 2)
        self.editions.cli(router, *MIGRATE)
        return [
            ("State (WI)", state, port, json.loads(other.cli(state, "demo_users"))),
            ("District 0101 (WI)", *district[1:]),
            ("National Records Exchange", router, port + 2, self._users(router)),
        ]

    def _users(self, env: dict[str, str]) -> dict:
        return json.loads(self.editions.cli(env, "demo_users"))

    def _national(self, editions: list[tuple]) -> None:
        """Every district registers with the router; the other state's district then asks
        district 0001 (IL) for its first student's records: waiting in 0001's inbox."""
        router = editions[-1][1]
        districts = [
            (name, env) for name, env, *_ in editions if env["STATESYNC_ROLE"] == "district"
        ]
        codes = {}
        try:
            for name, env in districts:
                state = "WI" if name.endswith("(WI)") else "IL"
                codes[name] = self._register(
                    router, env, f"Demo {name.removesuffix(' (WI)')}", state
                )
            mover = ("demo_mover", "--across", codes[districts[0][0]])
            said = self.editions.cli(districts[-1][1], *mover, timeout=STEP_TIMEOUT).strip()
        except CommandError as exc:
            self.out.write(f"The demo's National Records Exchange request was not made: {exc}")
            return
        self.out.write(
            f"National Records Exchange: {len(codes)} districts registered; {said}. It waits "
            "in district 0001's inbox, marked National."
        )

    def _register(self, router: dict[str, str], district: dict[str, str], name: str, state: str):
        """`district` added at the router and registered with the token it gave; its code."""
        said = self.editions.cli(
            router, "router", "add-district", "--name", name, "--state", state, "--json"
        )
        added = json.loads(said)
        url, token = router["STATESYNC_BASE_URL"], added["registration_token"]
        self.editions.cli(
            district, "exchange", "register", "--router", url, "--token", token, "--accept-terms"
        )
        return added["code"]

    def _edfi_district(self, state: dict[str, str]) -> str:
        """Grand Bend loaded into Ed-Fi district 0090 at the state; what the load said."""
        self.out.write("Loading Grand Bend into Ed-Fi district 0090 at the state…")
        return self.editions.cli(state, "edfi_sample", "--number", "0090").strip()

    def _prepare(
        self, state: dict[str, str], k: int, editions: Editions | None = None, number: str = ""
    ) -> tuple:
        """District edition `k` of `editions` (this state's), ready: (name, env, port, users)."""
        editions = editions or self.editions
        number = number or f"{k:04d}"
        district = editions.prepare_district(
            state, k, self.scale, 2, self.reseed, self.out.write, number=number
        )
        users = json.loads(editions.cli(district, "demo_users"))
        return (f"District {number}", district, editions.port + k, users)

    def _announce(self, editions: list[tuple]) -> None:
        lines = []
        for name, _, port, users in editions:
            lines.append(f"\n{name}: http://{self.host}:{port}/")
            lines += [f"  {u:<7} password: {p:<14} {DEMO_USERS[u]}" for u, p in users.items()]
        roles = [env["STATESYNC_ROLE"] for _, env, _, _ in editions]
        started = f"{roles.count('state')} state and {roles.count('district')} district edition(s)"
        router = " and the National Records Exchange's router" if "router" in roles else ""
        self.out.write(
            self.style.SUCCESS(f"\nstatesync is starting: {started}{router}. Log in as:")
            + "\n".join(lines)
            + "\n\nStudents move between neighbouring districts mid-year; resync each district "
            "(its batch page) and see the state's Person Matching.\nPress Ctrl-C to stop them all."
        )


def watch(children) -> None:
    """Run until Ctrl-C, SIGTERM or a child stopping; then stop them all."""

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    if failed:
        raise CommandError("a web server or a worker stopped unexpectedly; see above")


def _check_free(host: str, port: int) -> None:
    """Refuse a port something already listens on, saying how to choose another."""
    with socket.socket() as probe:
        # A port left in TIME_WAIT by a demo just stopped is free; one listened on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"port {port} on {host} is in use ({exc.strerror}): is another statesync "
                f"demo running? Stop it, or choose another port: make demo PORT={port + 1}"
            ) from None
