import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from statesync import catalog, config
from statesync.demo.seed import SCALES
from statesync.demo.users import DEMO_USERS, demo_users
from statesync.web.server import server_argv


class Command(BaseCommand):
    help = "Run the whole system on this machine: migrate, seed, users, web server and worker."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reseed", action="store_true", help="Replace the district's data.")

    def handle(self, *args, scale, host, port, reseed, **opts):
        if settings.ROLE != "both":
            raise CommandError(
                "the demo runs both editions: unset STATESYNC_ROLE or set it to both"
            )
        _check_free(host, port)  # before anything starts or a password is printed
        self.stdout.write(f"Data folder: {config.get_home()}")
        call_command("migrate", interactive=False, verbosity=0)  # every database
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
        worker = subprocess.Popen([sys.executable, "-m", "statesync", "worker"], env=env)
        web = subprocess.Popen(server_argv(host, port, workers=2))
        children = (web, worker)

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
            raise CommandError("the web server or the worker stopped unexpectedly; see above")


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
