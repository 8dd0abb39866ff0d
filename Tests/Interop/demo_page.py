#!/usr/bin/env python3
"""Drives Lethe's demo page (Clients/web/index.html + app.js) in headless Chromium the way a person
does, over the DevTools protocol on a pipe (--remote-debugging-pipe; no library, no port).

  demo_page.py URL PHOTO SCREENSHOT KIND...

URL is the page with its configuration in the fragment (#token=…&ledger_key=…). For each KIND the
page is given PHOTO through its real file input (DOM.setFileInputFiles: what a file chooser does),
the kind is chosen in its select, "Analyse" is clicked, and the script waits (on DOM mutations, not
on time) until the page says it is done. It reads what the page shows: the status, the receipt
line, the measures table rows, the result images (and that their object URLs load). The first
result is captured as a PNG to SCREENSHOT. After the first run "Clear" is clicked, after each later
run the page gets its `pagehide` event; then it checks that every object URL the page showed no
longer loads (revoked), that the result is gone and the photo input empty. Prints one JSON object.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile


class CheckFailed(Exception):
    """The page did not behave (explicit, so that python -O cannot remove it)."""


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands in) and 4 (replies and events out),
    each message JSON ended by a NUL byte."""

    def __init__(self, arguments):
        self.profile = tempfile.mkdtemp(prefix="lethe-chromium-", dir="/tmp")
        commands_read, self.commands = os.pipe()
        self.replies, replies_write = os.pipe()

        def child_fds():
            # Duplicates first (dup2 onto 3 could close the other end); os.dup's copies are
            # close-on-exec, dup2's are not: the child keeps exactly fds 3 and 4.
            read, write = os.dup(commands_read), os.dup(replies_write)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={self.profile}", "--remote-debugging-pipe"] + arguments + ["about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)
        os.close(commands_read)
        os.close(replies_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def close(self):
        try:
            os.close(self.commands)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            os.close(self.replies)
            shutil.rmtree(self.profile, ignore_errors=True)

    def message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise CheckFailed("chromium closed the DevTools pipe")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)

    def send(self, method, session=True, **params):
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params}
        if session and self.session:
            command["sessionId"] = self.session
        os.write(self.commands, json.dumps(command).encode() + b"\0")
        while True:
            message = self.message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise CheckFailed(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method):
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self.message())

    def evaluate(self, expression):
        """The value of an async JS expression in the page (exceptions raise)."""
        result = self.send("Runtime.evaluate", expression=f"(async () => {{ {expression} }})()", awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CheckFailed(f"page script failed: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")


# Resolves once `predicate()` holds, re-checked on every DOM change (no timers).
WAIT_FOR = """
const waitFor = (predicate) => new Promise((resolve) => {
  if (predicate()) return resolve();
  const observer = new MutationObserver(() => { if (predicate()) { observer.disconnect(); resolve(); } });
  observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
});
const $ = (id) => document.getElementById(id);
// Whether an object URL still gives its image: a fresh <img> (the CSP allows blob: images, not
// blob: fetches) decodes it, or fails once the URL is revoked.
const loads = (src) => { const probe = new Image(); probe.src = src; return probe.decode().then(() => true, () => false); };
"""

# What the page shows after an analysis: status, receipt line, table, images (and that they load).
READ_RESULT = WAIT_FOR + """
await waitFor(() => $('status').textContent.startsWith('Analysed') || $('status').classList.contains('failed'));
const images = [...document.querySelectorAll('#result img')];
await Promise.all(images.map((image) => image.decode()));
const loading = await Promise.all(images.map((image) => loads(image.src)));
return {
  status: $('status').textContent,
  failed: $('status').classList.contains('failed'),
  receipt: document.querySelector('#result .receipt')?.textContent ?? null,
  caption: document.querySelector('#result table caption')?.textContent ?? null,
  rows: [...document.querySelectorAll('#result table tbody tr')].map((row) => [row.cells[0].textContent, row.cells[1].textContent]),
  images: images.map((image, index) => ({ alt: image.alt, scheme: new URL(image.src).protocol, width: image.naturalWidth, height: image.naturalHeight, loads: loading[index] })),
};
"""


def run(url, photo, screenshot, kinds):
    browser = Browser(["--window-size=1280,1500"])
    try:
        page = next(t for t in browser.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        browser.session = browser.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        browser.send("Page.enable")
        browser.send("Runtime.enable")
        browser.send("Page.navigate", url=url)
        browser.wait_event("Page.loadEventFired")
        # The module script runs after load of the document: wait until it has read the fragment.
        browser.evaluate(WAIT_FOR + "await waitFor(() => location.hash === '');")
        runs = []
        for number, kind in enumerate(kinds):
            root = browser.send("DOM.getDocument")["root"]["nodeId"]
            node = browser.send("DOM.querySelector", nodeId=root, selector="#photo")["nodeId"]
            browser.send("DOM.setFileInputFiles", nodeId=node, files=[os.path.abspath(photo)])
            ready = browser.evaluate(WAIT_FOR + """
              await waitFor(() => !$('analyse').disabled);
              return { status: $('status').textContent, input_empty: $('photo').value === '' && $('photo').files.length === 0 };""")
            browser.evaluate(WAIT_FOR + f"""
              $('kind').value = {json.dumps(kind)};
              $('kind').dispatchEvent(new Event('change'));
              $('analyse').click();""")
            result = browser.evaluate(READ_RESULT)
            result.update(kind=kind, ready=ready)
            if number == 0:
                shot = browser.send("Page.captureScreenshot", format="png")
                with open(screenshot, "wb") as file:
                    file.write(base64.b64decode(shot["data"]))
            # Done with it: "Clear" after the first run, the page going away after the others.
            finish = "$('clear').click();" if number == 0 else "window.dispatchEvent(new PageTransitionEvent('pagehide'));"
            result["after"] = "clear" if number == 0 else "pagehide"
            result["cleared"] = browser.evaluate(WAIT_FOR + f"""
              const sources = [...document.querySelectorAll('#result img')].map((image) => image.src);
              {finish}
              const loading = await Promise.all(sources.map(loads));
              return {{ urls: sources.length, still_loading: loading.filter(Boolean).length,
                        result_children: $('result').childElementCount, analyse_disabled: $('analyse').disabled,
                        status: $('status').textContent }};""")
            runs.append(result)
        return {"runs": runs}
    finally:
        browser.close()


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    # A bound of its own below the test's, so that Chromium is killed and its profile removed
    # (the `finally` in `run`) before anyone kills this script.
    def expired(*_):
        raise CheckFailed("the page did not finish within 180 s")
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(180)
    try:
        print(json.dumps(run(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])))
    except CheckFailed as failure:
        print(json.dumps({"error": str(failure)}))
        sys.exit(1)


if __name__ == "__main__":
    main()
