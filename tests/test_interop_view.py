"""The interactive view, served for real and driven in headless Chromium (Selenium + chromedriver)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TITLE = "Vote buying, day by day"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
        reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver; .ci/run installs them)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    cmd = [sys.executable, str(ROOT / "experiments" / "explore.py"), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the view did not start: {proc.stdout.read().decode()[-2000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    options = Options()
    args = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1800,1300")
    for arg in args:
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def wait_for_text(driver, text: str, timeout: float = 60) -> None:
    WebDriverWait(driver, timeout).until(lambda d: text in page_text(d), f"{text!r} never appeared")


def click_button(driver, label: str) -> None:
    buttons = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip().upper() == label.upper()]
    assert buttons, f"no {label} button"
    buttons[0].click()


def day_counter(driver) -> int:
    """The day the page shows (``Day 7 of 76 ...``), read in the page itself (the panel is redrawn often)."""
    heading = driver.execute_script("const h = document.querySelector('h3'); return h ? h.innerText : '';")
    match = re.search(r"Day (\d+) of", heading)
    return int(match.group(1)) if match else -1


def test_view_loads_toggles_an_intervention_steps_and_draws(server, browser, tmp_path):
    browser.get(server)
    wait_for_text(browser, "Day 0 of 76")
    text = page_text(browser)
    # A title (in the bar and the browser tab), slider values shown, legends in words.
    assert browser.title == TITLE
    header = browser.find_element(By.TAG_NAME, "header")
    assert TITLE in header.text and header.is_displayed()
    assert "Seed: 0" in text and "Township drawn: 0" in text
    for label in ("holds a bribe now", "tips filed that day", "tie carrying a bribe", "reported to the hotline"):
        assert label in text, label
    assert "Interventions: none" in text and "Scale: county, 12 townships" in text

    # Switch inspection teams on in the sidebar (its label fits: one line, not repeated), then Reset.
    labels = browser.find_elements(By.XPATH, "//label[normalize-space()='Inspection teams']")
    assert len(labels) == 1
    box = labels[0].find_element(By.XPATH, "./ancestor::div[contains(@class,'v-selection-control')][1]//input")
    assert not box.is_selected()
    labels[0].click()
    WebDriverWait(browser, 20).until(lambda d: box.is_selected(), "the switch did not toggle")
    click_button(browser, "Reset")
    wait_for_text(browser, "Interventions: Inspection teams")

    # Step: the day counter advances one day at a time.
    for day in range(1, 8):
        click_button(browser, "Step")
        wait_for_text(browser, f"Day {day} of 76")
    text = page_text(browser)
    assert "campaign" in text
    # Teams start on day 5: by day 7 inspection has cost staff-days.
    cost = text.split("cost of the interventions (staff-days)")[1].split()[0]
    assert float(cost.replace(",", "")) > 0, text

    # Play: the counter moves on by itself, and Pause stops it.
    click_button(browser, "Play")
    WebDriverWait(browser, 120).until(lambda d: day_counter(d) >= 12, "Play did not advance the day counter")
    click_button(browser, "Pause")
    WebDriverWait(browser, 30).until(
        lambda d: "Play" in [b.text.strip().title() for b in d.find_elements(By.TAG_NAME, "button")]
    )
    paused_at = day_counter(browser)
    click_button(browser, "Step")
    wait_for_text(browser, f"Day {paused_at + 1} of 76")

    shot = tmp_path / "view.png"
    assert browser.save_screenshot(str(shot))
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[0] > 800 and pixels.shape[1] > 1200
    non_white = (pixels < 0.95).any(axis=2).mean()
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert non_white > 0.05 and colours > 100, (non_white, colours)
    # Keep a copy to look at when asked (not needed by the test).
    if os.environ.get("VIEW_SCREENSHOT"):
        Path(os.environ["VIEW_SCREENSHOT"]).write_bytes(shot.read_bytes())
