"""Real-browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

- Chromium is /usr/bin/chromium (override with E2E_CHROMIUM); Playwright's own browser download is not used.
  Without it the tests skip loudly, and with E2E_REQUIRED=1 they fail instead.
- The live server uses the test database, so every test seeds the demo district (`seed_demo --force`).
- On PostgreSQL + Redis (as in .ci/run) a real Celery worker runs beside the live server for the whole
  package, on the same test database and broker; the journeys that need it ask for `worker`. Elsewhere
  they skip loudly (a worker cannot share SQLite's in-memory test database), and with E2E_REQUIRED=1
  they fail instead.
- On failure, a screenshot and the HTML of every page the test opened go to test-artifacts/ (or $E2E_ARTIFACTS).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# Playwright's sync API runs an asyncio event loop in the main thread; Django would otherwise refuse
# ORM calls made from the tests (seeding, services) as "async-unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
DEFAULT_TIMEOUT_MS = 10_000

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1920, "height": 1080}

_HERE = Path(__file__).resolve().parent
_browser_problem: list[str] = []
_worker_problem: list[str] = []


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"e2e_report_{report.when}", report)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    from .production import PRODUCTION

    if PRODUCTION:
        passed, failed = (
            sum(1 for r in terminalreporter.stats.get(kind, []) if getattr(r, "when", "call") == "call")
            for kind in ("passed", "failed")
        )
        errors = len(terminalreporter.stats.get("error", []))
        skipped = len(terminalreporter.stats.get("skipped", []))
        terminalreporter.write_line(
            f"production mode: {passed} journeys passed, {failed} failed, {errors} errors, {skipped} skipped"
            " against gunicorn (DEBUG off, manifest static, worker+beat)",
            bold=True,
        )
    if _browser_problem:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(f"E2E TESTS DID NOT RUN: {_browser_problem[0]}", red=True, bold=True)
        terminalreporter.write_line("Install it with `apt-get install -y chromium`.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)
    if _worker_problem:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(f"E2E JOURNEYS WITHOUT A CELERY WORKER: {_worker_problem[0]}", red=True, bold=True)
        terminalreporter.write_line("The journeys that need one were skipped; .ci/run runs them.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)


def _unavailable(reason: str) -> None:
    if not _browser_problem:
        _browser_problem.append(reason)
    message = f"E2E BROWSER UNAVAILABLE: {reason} (apt-get install -y chromium)"
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(message + " — E2E_REQUIRED=1, so this is a failure.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def e2e_browser() -> Iterator:
    """One Chromium for the session (each test gets fresh contexts)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - requirements-dev.txt installs it
        _unavailable(f"Playwright is not installed ({exc})")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser"
        manager.__exit__(None, None, None)
        _unavailable(f"Chromium at {CHROMIUM} did not start: {str(exc).splitlines()[0]}")
    yield browser
    browser.close()
    manager.__exit__(None, None, None)


@pytest.fixture(scope="package")
def production(django_db_setup, tmp_path_factory) -> Iterator:
    """With E2E_PRODUCTION=1: the app served as in production (tests/e2e/production.py: collectstatic
    with the manifest, gunicorn with DEBUG off, a worker with beat) on the test database and Redis,
    for the whole package; None otherwise."""
    from tests.worker import purge_queue, real_stack_problem

    from .production import PRODUCTION, ProductionStack

    if not PRODUCTION:
        yield None
        return
    problem = real_stack_problem()
    if problem:
        pytest.fail(f"E2E_PRODUCTION=1 needs PostgreSQL and Redis: {problem}", pytrace=False)
    purge_queue()
    stack = ProductionStack(tmp_path_factory.mktemp("production"))
    try:
        stack.start()
    except RuntimeError as exc:
        output = stack.stop()
        pytest.fail(f"the production stack did not start: {exc}\n{output[-3000:]}", pytrace=False)
    yield stack
    output = stack.stop()
    if "Traceback" in output:  # a request or a task failed: show it, even when the journeys passed
        print(f"\n--- production stack output ---\n{output[-5000:]}")


@pytest.fixture(scope="package", autouse=True)
def celery_worker(production, django_db_setup, tmp_path_factory) -> Iterator:
    """A real Celery worker beside the live server, on the test database and the Redis broker, for the
    whole package (the production stack's worker with E2E_PRODUCTION=1); None when the run is not on
    PostgreSQL + Redis."""
    from tests.worker import Worker, purge_queue, real_stack_problem, wait_for

    if production is not None:
        yield production.worker
        return
    problem = real_stack_problem()
    if problem:
        if not _worker_problem:
            _worker_problem.append(problem)
        yield None
        return
    purge_queue()
    worker = Worker(tmp_path_factory.mktemp("worker-mail"), name="e2e")
    from governance.celery import app

    if not wait_for(lambda: not worker.alive() or bool(app.control.ping(timeout=0.5)), 60) or not worker.alive():
        output = worker.stop()
        pytest.fail(f"the Celery worker did not start:\n{output[-3000:]}", pytrace=False)
    yield worker
    output = worker.stop()
    if "Traceback" in output:  # a task failed in the worker: show it, even when the journeys passed
        print(f"\n--- Celery worker output ---\n{output[-5000:]}")


@pytest.fixture
def worker(celery_worker):
    """The running worker, for journeys that depend on one."""
    if celery_worker is None:
        message = f"E2E JOURNEY NEEDS A CELERY WORKER: {_worker_problem[0]}"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(message + " — E2E_REQUIRED=1, so this is a failure.", pytrace=False)
        pytest.skip(message)
    return celery_worker


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


def _failed(item) -> bool:
    return any(getattr(getattr(item, f"e2e_report_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture
def demo(live_server, production, settings, tmp_path):
    """The demo district in the live server's (test) database, and the objects the journeys need.
    With E2E_PRODUCTION=1 the browser goes to the production stack's gunicorn instead, on the same
    database (the live server still makes the test transactional, so gunicorn sees what it writes)."""
    from django.conf import global_settings
    from django.core.management import call_command

    from disputes.models import Category
    from grids.models import Area, Level, Membership, User

    # Uploaded photos stay out of var/media; the tests read the files where the server wrote them.
    settings.MEDIA_ROOT = str(production.media_root if production else tmp_path / "media")
    if production:
        # The tests hash with MD5 for speed (tests/conftest.py); gunicorn verifies with the real hashers.
        settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    call_command("seed_demo", "--force", stdout=io.StringIO())
    if production:
        production.reload()
    users = {u.username: u for u in User.objects.all()}
    grid = Membership.objects.select_related("area").get(user__username="grid_a").area
    micro = Area.objects.filter(parent=grid, level=Level.MICRO_GRID).order_by("code").first()
    town1 = Area.objects.get(pk=Membership.objects.get(user__username="center_town").area_id)
    police = Membership.objects.select_related("department").get(user__username="dept_police").department
    urban = Membership.objects.select_related("department").get(user__username="dept_urban").department
    yield SimpleNamespace(
        users=users,
        password=settings.DEMO_PASSWORD,
        grid=grid,
        micro=micro,
        town1=town1,
        district=Area.objects.get(level=Level.DISTRICT),
        police=police,
        urban=urban,
        road=Category.objects.get(code="road_damage"),
        live_url=production.url if production else live_server.url,
    )


@pytest.fixture
def open_page(e2e_browser, demo, request) -> Iterator[Callable]:
    """open_page(user=..., viewport=...) → a Page in a fresh browser context, logged in through /accounts/login/.

    On failure every page opened is kept as test-artifacts/<test>-<n>-<user>.png/.html.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    opened: list[tuple[str, object, object]] = []

    def make(user: str | None = None, *, viewport: dict = DESKTOP, **context_args):
        context = e2e_browser.new_context(
            base_url=demo.live_url,
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
            **context_args,
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        opened.append((user or "anonymous", context, page))
        if user:
            login(page, user, demo.password)
        return page

    yield make

    if _failed(request.node):
        ARTIFACTS.mkdir(exist_ok=True)
        stem = _slug(request.node.nodeid.split("::", 1)[-1])
        for n, (who, _context, page) in enumerate(opened, start=1):
            base = ARTIFACTS / f"{stem}-{n}-{_slug(who)}"
            try:
                page.screenshot(path=str(base.with_suffix(".png")), full_page=True)
                base.with_suffix(".html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # noqa: BLE001 - keep whatever can be kept
                base.with_suffix(".error.txt").write_text(f"{page.url}\n{exc}", encoding="utf-8")
    for _who, context, _page in opened:
        context.close()


def login(page, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("header .usermenu summary")).to_be_visible()


@pytest.fixture(scope="session", autouse=True)
def _clean_artifacts() -> None:
    """Artifacts describe the last run only."""
    if ARTIFACTS.exists() and os.environ.get("E2E_KEEP_ARTIFACTS") != "1":
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
