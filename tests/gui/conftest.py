"""GUI tests: one real Kivy window under Xvfb (Mesa llvmpipe) for the whole session,
one fresh store per test. The app runs embedded and the tests step its event loop.

Guard: Kivy's mock GL backend (or a missing display) makes GUI modules collect no
tests without failing; this conftest fails the run instead when no GUI test was
collected, and fails at start when the window is not a real OpenGL one.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

# Kivy's window takes its size from the config when something first imports it, and a test
# module may import Kivy widgets at collection (test_appearance does): set the kiosk's
# window (1280x800) up now, before any test module is imported, not in the fixture.
from kiosk.ui import env

env.prepare()

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)  # a Monday; activities in sync.ledger.ops.demo are built for this day
GUI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(session, config, items):
    gui = [i for i in items if Path(str(i.fspath)).resolve().is_relative_to(GUI_DIR)]
    for item in gui:
        item.add_marker(pytest.mark.gui)
    config._kiosk_gui_count = len(gui)


def pytest_collection_finish(session):
    if (
        getattr(session.config, "_kiosk_gui_count", 0) == 0
        and not session.config.option.collectonly
    ):
        raise pytest.UsageError(
            "no GUI test was collected under tests/gui: is Kivy using a mock GL backend "
            "or is there no display? Run under xvfb-run with KIVY_NO_ARGS=1."
        )


class FakeClock:
    """The kiosk's wall clock, moved by the tests."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, hh: int, mm: int = 0, day: date = DAY) -> None:
        self.now = datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    from kiosk.store import Store, apply_changes
    from sync.ledger.ops import demo

    out = tmp_path_factory.mktemp("demo")
    data = demo.write(out, DAY)
    base = out / "base"
    store = Store.in_dir(base, create=True)
    store.set_settings(kiosk_id="K-TEST-01", site_id="service-center")
    apply_changes(
        store, data.snapshot["changes"], public_key=data.snapshot["public_key"], reset=True
    )
    store.close()
    return out, data


@pytest.fixture(scope="session")
def roster(demo_dir):
    _, data = demo_dir
    return {p["volunteer_id"]: p for p in data.roster}


@pytest.fixture(scope="session")
def keys(demo_dir):
    return demo_dir[1].keys


def new_kiosk(demo_dir, tmp: Path, clock: FakeClock, **config):
    from kiosk.config import KioskConfig
    from kiosk.service import Kiosk
    from kiosk.store import Store

    out, _ = demo_dir
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    shutil.copy(out / "base" / "kiosk.db", data / "kiosk.db")
    cfg = KioskConfig(**{"scan_debounce_seconds": 1.0, "mirror_preview": False, **config})
    return Kiosk(Store.in_dir(data), cfg, clock=clock)


@pytest.fixture(scope="session")
def kivy_app(demo_dir, tmp_path_factory):
    from kiosk.ui import env

    env.prepare()
    from kivy.core.window import Window

    if type(Window).__name__ != "WindowSDL":
        pytest.exit(f"not a real window: {type(Window).__name__}", returncode=3)
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    renderer = glGetString(GL_RENDERER)
    if not renderer:
        pytest.exit("no OpenGL renderer", returncode=3)
    from devtools.driver import start_embedded
    from kiosk.scanner.sources import SimulatedCamera
    from kiosk.ui.app import KioskApp, load_demo_cards

    out, _ = demo_dir
    clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))
    kiosk = new_kiosk(demo_dir, tmp_path_factory.mktemp("first"), clock)
    app = KioskApp(
        kiosk,
        source=SimulatedCamera(),
        demo_cards=load_demo_cards(out / "roster.json"),
        sounds=False,
        image_dirs=(out,),
    )
    start_embedded(app)
    yield app
    app.stop()


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))


@pytest.fixture
def make_kiosk(demo_dir, tmp_path, clock):
    def make(**config):
        return new_kiosk(demo_dir, tmp_path, clock, **config)

    return make


@pytest.fixture
def gui(kivy_app, make_kiosk, clock):
    """A driver on the shared window with a fresh store, at 09:00 on the demo day."""
    from devtools.driver import Driver

    d = Driver(kivy_app)
    d.settle()
    d.take_away()
    kiosk = make_kiosk()
    kivy_app.use_kiosk(kiosk)
    kivy_app.lang = "zh-Hans"
    kivy_app.result_seconds = 8.0
    kivy_app.idle_timeout = 30.0
    d.kiosk = kiosk
    d.store = kiosk.store
    d.clock = clock
    d.settle()
    d.wait_screen("home")
    yield d
    d.take_away()
    d.settle()
