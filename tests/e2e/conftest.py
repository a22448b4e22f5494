"""Browser tests: Playwright drives Debian's Chromium against pytest-django's
live_server (a real server thread over the test database, SQLite or PostgreSQL).

Playwright's own browser download does not work on these machines, so the tests launch
/usr/bin/chromium. Where it is missing they skip, saying so in pytest's summary; with
CCADMIN_REQUIRE_TOOLS=1 (set by .ci/run) they fail instead, so CI cannot pass
without running them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The password tests/factories.py gives every user.
PASSWORD = "pw"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _test_database_before_the_browser(django_db_setup):
    """The test database is created before pytest-playwright's session-scoped
    browser starts its event loop: autouse fixtures are set up before the others of
    their scope. Without this, running the browser tests on their own (`pytest
    tests/e2e`) created the database inside the loop, which Django refuses
    (SynchronousOnlyOperation); with other tests first it happened to work."""


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an asyncio event loop in the test thread, and Django
    refuses ORM calls from a thread with a running loop unless told this is
    deliberate. The ORM calls here are plain synchronous set-up and checks, never run
    inside the loop. Package-scoped: set before the database fixtures of these tests
    are set up and removed after they are torn down, so elsewhere (and in the
    subprocesses other tests start, where `check --deploy` refuses it) the protection
    stays on."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _is_browser_test(item) -> bool:
    return Path(str(item.fspath)).is_relative_to(Path(__file__).parent)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests last (after pytest-django's own reordering, hence
    trylast), and skip (or, in CI, fail) them all when Chromium
    is not installed.

    Last: pytest-playwright's browser and its event loop live until the end of the
    session, and Django refuses ORM calls (e.g. a transactional test's flush) in a
    thread where that loop runs; no other test may come after them.
    """
    items[:] = sorted(items, key=_is_browser_test)
    if CHROMIUM.exists():
        return
    reason = (
        f"browser tests need Debian's Chromium at {CHROMIUM} "
        "(apt-get install chromium); .ci/run installs it"
    )
    if os.environ.get("CCADMIN_REQUIRE_TOOLS"):
        raise pytest.UsageError(reason)
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, headless, quiet (no network of its own, no sandbox:
    the tests run as root in a container)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """English unless a test asks otherwise; a desktop-sized window."""
    return {
        **browser_context_args,
        "locale": "en-US",
        "viewport": {"width": 1280, "height": 800},
    }


@pytest.fixture(autouse=True)
def csp_violations(browser, monkeypatch):
    """Fail the test if the browser refused anything under the Content-Security-Policy
    (a script, a style, a frame...): Chromium says so on the console. Every context
    a test opens is watched, pytest-playwright's own and those made with
    browser.new_context(). Yields the list, so a test can show that it catches one."""
    violations: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url')}: {message.text}")

    open_context = browser.new_context

    def new_context(*args, **kwargs):
        context = open_context(*args, **kwargs)
        context.on("console", watch)
        return context

    monkeypatch.setattr(browser, "new_context", new_context)
    yield violations
    assert not violations, "Content Security Policy violations:\n" + "\n".join(
        violations
    )


@pytest.fixture
def screenshot():
    """Save a full-page screenshot into test-artifacts/screenshots/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def axe_check():
    """Run axe-core (the copy pinned in axe-playwright-python, never fetched at test
    time) on the page; fail on any serious or critical violation, naming each."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, where: str) -> None:
        results = axe.run(page)
        bad = [
            v
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        detail = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"accessibility violations on {where}:\n{detail}"

    return check


def _sign_in(page, login_url: str, submit: str, landing_url: str, username, password):
    """Type the username and password into a login page and land where it leads."""
    page.goto(login_url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(submit)
    page.wait_for_url(landing_url)


def sign_in_admin(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the admin's login page."""
    _sign_in(
        page, f"{base_url}/admin/login/", "input[type=submit]", f"{base_url}/admin/",
        username, password,
    )  # fmt: skip


def sign_in_agent(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the agent desktop's login page."""
    _sign_in(
        page, f"{base_url}/accounts/login/", "main form button[type=submit]",
        f"{base_url}/agent/", username, password,
    )  # fmt: skip
