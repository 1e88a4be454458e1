"""The desk in a real browser (Debian's Chromium through Playwright): find, preview,
personalise, print, basket and email by keyboard and mouse, axe-core on every page, 200% zoom.

Screenshots of every page go to ``$DESK_SCREENSHOTS`` when it is set (to look at them).
"""

from __future__ import annotations

import email
import os
import re
from pathlib import Path

import pytest

from tests.desk.conftest import CONTENT, FRONT_DESK
from tests.desk.test_live import pdf_text

pytestmark = pytest.mark.pdf

SHOTS = os.environ.get("DESK_SCREENSHOTS")


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def check(page, axe, name: str) -> None:
    """No axe-core violation (every rule, WCAG 2.1 AA and best practice); a screenshot."""
    page.wait_for_load_state("networkidle")
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def status_starts(page, text: str) -> None:
    """Wait for the live region to say ``text`` (polled from here: the CSP forbids eval)."""
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text(re.compile("^" + re.escape(text)))


def sign_in(page, base: str, account) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Name").fill(account[0])
    page.get_by_label("Password").fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.fixture(scope="module")
def staff(browser, live_desk):
    """A front-desk member of staff, signed in, in a desktop-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_init_script(KEEP_BLOBS)
    page = context.new_page()
    sign_in(page, live_desk.url, FRONT_DESK)
    yield page
    context.close()


def test_sign_in_page(browser, live_desk, axe):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_desk.url + "/")
    assert page.url.endswith("/signin")
    check(page, axe, "signin")
    page.get_by_label("Name").fill("frontdesk")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match" in page.get_by_role("alert").inner_text()
    check(page, axe, "signin-error")
    context.close()


def test_find_as_you_type(staff, live_desk, axe):
    page = staff
    page.goto(live_desk.url + "/")
    check(page, axe, "find")
    page.get_by_label("Search by title").press_sequentially("hea", delay=30)
    status = page.get_by_role("status")
    status_starts(page, "3 leaflets")
    assert status.inner_text() == "3 leaflets found."
    assert page.url.endswith("/?q=hea&lang=&category=")  # words only: nothing personal
    titles = page.locator(".results .card-title").all_inner_texts()
    assert titles[:2] == ["Heart failure", "High blood pressure"]
    spanish = page.locator(".results a[lang='es']")
    assert spanish.inner_text() == "Insuficiencia cardíaca"
    check(page, axe, "find-results")
    page.get_by_label("Language").select_option("es")
    status_starts(page, "1 leaflet ")
    page.get_by_label("Search by title").fill("")
    page.get_by_label("Language").select_option("")
    status_starts(page, "5 leaflets")


def test_find_without_javascript(browser, live_desk, axe):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_desk.url, FRONT_DESK)
    page.get_by_label("Search by title").fill("wheezing")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("status").inner_text() == "1 leaflet found."
    page.get_by_role("link", name="Asthma in adults").click()
    assert page.locator("h1").inner_text() == "Asthma in adults"
    page.get_by_role("link", name="Lungs and Breathing").click()  # browse by category
    assert page.get_by_role("status").inner_text() == "1 leaflet found."
    context.close()


def test_preview_and_choices(staff, live_desk, axe):
    page = staff
    page.goto(live_desk.url + "/?q=heart")
    page.get_by_role("link", name="Heart failure").click()
    assert page.locator("h1").inner_text() == "Heart failure"
    images = page.locator(".pages img")
    assert images.count() == 1
    assert page.evaluate("document.querySelector('.pages img').naturalWidth") > 0
    assert "1 page" in page.locator(".meta").inner_text()
    check(page, axe, "leaflet")
    page.get_by_label("Language").select_option("es")
    page.get_by_label("Clinic", exact=True).select_option(label="Harbourside Health Centre")
    page.get_by_label("Large print").check()
    page.get_by_role("button", name="Show with these choices").click()
    heading = page.locator("h1")
    assert heading.inner_text() == "Insuficiencia cardíaca" and heading.get_attribute("lang") == "es"
    assert "lang=es" in page.url and "large=1" in page.url and "brand=harbour" in page.url
    assert page.locator(".pages img").count() >= 1
    check(page, axe, "leaflet-es-large-print")


def test_personal_copy_download(staff, live_desk):
    page = staff
    page.goto(live_desk.url + "/leaflet/heart-failure?lang=en")
    page.get_by_label("Patient name").fill("Oriel Vantongeren")
    page.get_by_label("Clinician").fill("Dr Ada Kestrel")
    page.get_by_label("Note").fill("Weigh yourself daily.\nCall if over 2 kg.")
    assert page.get_by_label("Date").input_value() == "2026-11-25"  # today by default
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download copy").click()
    download = caught.value
    assert download.suggested_filename == "heart-failure.pdf"
    text = pdf_text(Path(download.path()).read_bytes())
    assert "Oriel Vantongeren" in text and "Dr Ada Kestrel" in text and "Call if over 2 kg." in text
    assert "Vantongeren" not in page.url


#: Keeps each blob the page makes an address for, to read back what went to the print frame,
#: and counts the print dialogs asked for (headless Chromium cannot show one).
KEEP_BLOBS = """
window.__blobs = [];
window.__prints = 0;
const made = URL.createObjectURL;
URL.createObjectURL = (blob) => { window.__blobs.push(blob); return made.call(URL, blob); };
const real = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, "contentWindow");
Object.defineProperty(HTMLIFrameElement.prototype, "contentWindow", { get() {
  if (!this.classList.contains("print-frame")) { return real.get.call(this); }
  return { focus() {}, print() { window.__prints += 1; } };
} });
"""


def printed(page, click) -> bytes:
    """The PDF that ``click`` fetched and put in the print frame (whose load opens the
    browser's print dialog)."""
    click()
    frame = page.wait_for_selector("iframe.print-frame", state="attached")
    assert frame.get_attribute("src").startswith("blob:")
    status_starts(page, "The print dialog is opening.")
    data = page.evaluate("""async () => {
        const blob = window.__blobs[window.__blobs.length - 1];
        return [blob.type, Array.from(new Uint8Array(await blob.arrayBuffer()))];
    }""")
    assert data[0] == "application/pdf"
    page.wait_for_function("() => window.__prints > 0")  # the frame loaded: print() was called
    return bytes(data[1])


def test_print_opens_the_print_dialog_on_the_pdf(staff, live_desk, axe):
    page = staff
    page.goto(live_desk.url + "/leaflet/asthma?lang=en")
    data = printed(page, page.get_by_role("link", name="Print", exact=True).click)
    assert "Asthma in adults" in pdf_text(data)
    page.goto(live_desk.url + "/leaflet/asthma?lang=en")
    page.get_by_label("Patient name").fill("Perpetua Isambard")
    data = printed(page, page.get_by_role("button", name="Print copy").click)
    assert "Perpetua Isambard" in pdf_text(data)
    assert "Perpetua" not in page.url
    check(page, axe, "leaflet-printing")


def test_personal_copy_problem_is_shown_by_the_field(staff, live_desk, axe):
    page = staff
    page.goto(live_desk.url + "/leaflet/gout?lang=en")
    page.get_by_label("Date").fill("2026-11-25")
    page.get_by_label("Note").fill("\n".join(["line"] * 9))
    page.get_by_role("button", name="Download copy").click()
    alert = page.get_by_role("alert")
    assert "Note" in alert.inner_text()
    alert.get_by_role("link", name="Note").click()
    assert page.evaluate("document.activeElement.id") == "note"
    check(page, axe, "leaflet-form-problem")


def test_basket(staff, live_desk, axe):
    page = staff
    page.goto(live_desk.url + "/basket")
    check(page, axe, "basket-empty")
    page.goto(live_desk.url + "/leaflet/gout?lang=en")
    page.get_by_role("button", name="Add to basket").click()
    assert page.get_by_role("status").inner_text().startswith("Added to the basket. 1 leaflet")
    page.goto(live_desk.url + "/?q=asthma")
    page.get_by_role("button", name="Add to basket: Asthma in adults").click()
    assert "2 leaflets in the basket" in page.get_by_role("status").inner_text()
    assert page.locator(".basket .card-title").all_inner_texts() == ["Gout", "Asthma in adults"]
    assert page.locator(".top .count").inner_text() == "2"
    check(page, axe, "basket")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download the packet").click()
    packet = Path(caught.value.path()).read_bytes()
    assert caught.value.suggested_filename == "packet.pdf"
    text = pdf_text(packet)
    assert text.index("Gout") < text.index("Asthma in adults")  # in the basket's order
    import pypdfium2

    document = pypdfium2.PdfDocument(packet)
    outline = [item.get_title() for item in document.get_toc()]
    document.close()
    assert outline[:1] == ["Gout"] and "Asthma in adults" in outline  # one entry per leaflet
    data = printed(page, page.get_by_role("button", name="Print all as one packet").click)
    assert pdf_text(data) == text  # the same packet goes to the print dialog
    page.get_by_role("button", name="Remove Gout").click()
    assert page.locator(".basket .card-title").all_inner_texts() == ["Asthma in adults"]


def test_email(staff, live_desk, mailbox, axe):
    page = staff
    sent = len(mailbox.messages)
    page.goto(live_desk.url + "/leaflet/high-blood-pressure?lang=en")
    page.get_by_label("Patient name").fill("Lysander Quellhorst")
    page.get_by_label("Email address").fill("patient@example.org")
    page.get_by_role("button", name="Email copy").click()
    assert page.get_by_role("status").inner_text() == "Sent. The leaflet was emailed."
    check(page, axe, "leaflet-sent")
    assert len(mailbox.messages) == sent + 1
    envelope = mailbox.messages[-1]
    assert envelope.rcpt_tos == ["patient@example.org"]
    message = email.message_from_bytes(envelope.content)
    assert message["Subject"] == "Information from Riverside Family Clinic"
    [attachment] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert "Lysander Quellhorst" in pdf_text(attachment.get_payload(decode=True))
    assert "Lysander" not in str(message["Subject"]) + attachment.get_filename()
    assert page.get_by_label("Email address").input_value() == ""  # not kept in the page


def test_content_staff_see_hidden_leaflets(browser, live_desk, axe):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_desk.url, CONTENT)
    page.goto(live_desk.url + "/?q=migraine")
    assert "hidden from front desk" in page.locator(".results").inner_text()
    check(page, axe, "find-content-staff")
    page.get_by_role("link", name="Draft leaflet on migraine").click()
    assert "Front-desk staff do not see this leaflet" in page.locator(".notice-warn").inner_text()
    assert page.get_by_role("heading", name="Personal copy").count() == 0
    check(page, axe, "leaflet-draft-proof")
    context.close()


def test_other_pages(staff, live_desk, axe):
    page = staff
    for name, url in [("not-found", "/leaflet/no-such-leaflet"),
                      ("connect", "/connect?code=http://hl7.org/fhir/sid/icd-10-cm|I50.9&lang=es"),
                      ("connect-no-code", "/connect")]:
        page.goto(live_desk.url + url)
        check(page, axe, name)


def test_keyboard_only(browser, live_desk):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_desk.url, FRONT_DESK)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.locator(".skip").bounding_box()["x"] >= 0  # visible when focused
    page.keyboard.press("Enter")
    for _ in range(30):  # to the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; })()")
    assert style[0] == "solid" and style[1] == "3px" and style[2] != "none"  # focus is visible
    page.keyboard.type("gout")
    page.keyboard.press("Enter")
    status_starts(page, "1 leaflet ")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Gout":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/leaflet/gout.*"))
    page.get_by_label("Patient name").focus()
    page.keyboard.type("Keyboard Person")
    with page.expect_download() as caught:
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Download copy":
                break
        page.keyboard.press("Enter")
    assert "Keyboard Person" in pdf_text(Path(caught.value.path()).read_bytes())
    context.close()


def test_200_percent_zoom_loses_nothing(browser, live_desk):
    """At 200% zoom a 1280-pixel window is 640 CSS pixels wide: nothing scrolls sideways."""
    context = browser.new_context(viewport={"width": 640, "height": 800}, device_scale_factor=2)
    page = context.new_page()
    sign_in(page, live_desk.url, FRONT_DESK)
    for url in ("/?q=heart", "/leaflet/heart-failure?lang=en", "/basket", "/connect"):
        page.goto(live_desk.url + url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], url
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/zoom-{url.strip('/').split('?')[0].replace('/', '-') or 'find'}.png",
                            full_page=True)
    context.close()
