"""The desk's guards, in process (no render): CSRF, path traversal in every parameter, unknown
ids, oversized forms, uploads, headers, sign-in and roles, the binding rule, rate limits."""

from __future__ import annotations

import pytest

from handout_builder.desk.config import DeskConfig, check_password, hash_password, load_config
from handout_builder.desk.security import CSP, RateLimit
from handout_builder.desk.server import check_binding
from handout_builder.domain.problems import InvalidOption
from tests.desk.conftest import CONTENT, FRONT_DESK, accounts_config, token

POSTS = ["/leaflet/gout/copy", "/basket/print", "/basket/add", "/basket/remove", "/basket/clear", "/signin",
         "/signout"]
TRAVERSALS = ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
              "/etc/passwd", "..\\..\\windows\\win.ini", "gout/../../etc/passwd", "gout\x00.yaml"]


@pytest.mark.parametrize("path", POSTS)
def test_every_form_needs_the_csrf_token(shared_client, path):
    desk_client = shared_client
    desk_client.get("/")  # a session with a token
    fields = {"id": "gout", "lang": "en", "action": "download", "patient_name": "Ann Example",
              "name": FRONT_DESK[0], "password": FRONT_DESK[1]}
    missing = desk_client.post(path, data=fields)
    wrong = desk_client.post(path, data={**fields, "csrftoken": "x" * 43})
    assert missing.status_code == wrong.status_code == 403
    assert "Ann Example" not in missing.text
    assert "Ann Example" not in desk_client.get("/basket").text


def test_the_token_is_never_in_a_get_form(shared_client):
    desk_client = shared_client
    import re

    html = desk_client.get("/").text
    assert token(html)  # the POST forms (add to basket) carry it
    gets = re.findall(r'<form[^>]*method="get".*?</form>', html, re.S)
    assert gets and not any("csrftoken" in form for form in gets)


def test_a_form_with_the_token_works(desk_client):
    html = desk_client.get("/").text
    response = desk_client.post("/basket/add", data={"csrftoken": token(html), "id": "gout",
                                                     "lang": "en"})
    assert response.status_code == 303
    assert "Gout" in desk_client.get("/basket").text


def test_path_traversal_in_every_parameter(shared_client):
    html = shared_client.get("/").text  # one session, one token, for every request
    for bad in TRAVERSALS:
        _traversal(shared_client, bad, token(html))
    response = shared_client.get("/static/..%2f..%2fapp.py")
    assert response.status_code in (400, 404) and "import " not in response.text


def _traversal(desk_client, bad, csrftoken):
    from urllib.parse import quote

    q = quote(bad, safe="")
    urls = [f"/leaflet/{q}", f"/leaflet/{q}/pdf", f"/leaflet/{q}/page/1",
            f"/leaflet/gout?lang={q}", f"/leaflet/gout?brand={q}", f"/leaflet/gout?large={q}",
            f"/leaflet/gout/pdf?brand={q}", f"/leaflet/gout/page/1?lang={q}",
            f"/?q={q}", f"/?lang={q}", f"/?category={q}", f"/connect?code={q}",
            f"/connect?code=x|{q}&lang={q}", f"/static/{q}", f"/basket?done={q}"]
    for url in urls:
        response = desk_client.get(url)
        assert response.status_code in (200, 400, 404), url
        assert "root:" not in response.text and "[fonts]" not in response.text, url
        assert "import " not in response.text, url
    for field in ("id", "lang"):
        data = {"csrftoken": csrftoken, "id": "gout", "lang": "en", field: bad}
        assert desk_client.post("/basket/add", data=data).status_code == 404
    data = {"csrftoken": csrftoken, "lang": "en", "brand": bad, "action": "download"}
    assert desk_client.post("/leaflet/gout/copy", data=data).status_code == 404


def test_unknown_topic_id(shared_client):
    desk_client = shared_client
    for url in ("/leaflet/no-such-topic", "/leaflet/no-such-topic/pdf",
                "/leaflet/no-such-topic/page/1", "/leaflet/gout?lang=fr"):
        response = desk_client.get(url)
        assert response.status_code == 404
        assert "Not found" in response.text and "no-such-topic" not in response.text


def test_an_oversized_form_is_refused(shared_client):
    desk_client = shared_client
    html = desk_client.get("/").text
    response = desk_client.post("/leaflet/gout/copy", data={
        "csrftoken": token(html), "lang": "en", "action": "download", "note": "x" * 20_000})
    assert response.status_code == 413
    assert "xxxx" not in response.text


def test_an_oversized_body_without_length_is_refused(shared_client):
    desk_client = shared_client
    html = desk_client.get("/").text

    def chunks():
        yield f"csrftoken={token(html)}&note=".encode()
        for _ in range(40):
            yield b"y" * 1000

    response = desk_client.post("/basket/add", content=chunks(),
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_uploads_are_refused(shared_client):
    desk_client = shared_client
    html = desk_client.get("/").text
    response = desk_client.post("/basket/add", data={"csrftoken": token(html)},
                                files={"topic": ("evil.yaml", b"title: x")})
    assert response.status_code == 415


def test_every_page_has_strict_headers(shared_client):
    desk_client = shared_client
    for url in ("/", "/?q=heart", "/basket", "/connect?code=x|y", "/leaflet/nothing",
                "/static/desk.css"):
        response = desk_client.get(url)
        assert response.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        if not url.startswith("/static"):
            assert response.headers["cache-control"] == "no-store"
            assert "<script>" not in response.text and " on" + "click" not in response.text
            assert "style=" not in response.text


def test_search_words_are_not_logged(shared_client, caplog):
    desk_client = shared_client
    caplog.set_level("INFO", logger="handout_builder.desk")
    desk_client.get("/?q=secretword")
    assert "secretword" not in caplog.text and "GET / 200" in caplog.text


# ---------------------------------------------------------------------- sign-in and roles


def sign_in(client, account):
    html = client.get("/signin").text
    return client.post("/signin", data={"csrftoken": token(html), "name": account[0],
                                        "password": account[1]})


def test_with_accounts_every_page_needs_sign_in(make_client):
    client = make_client(accounts_config())
    assert client.get("/").headers["location"] == "/signin"
    assert client.get("/leaflet/gout").status_code == 303
    assert client.get("/static/desk.css").status_code == 200
    wrong = sign_in(client, (FRONT_DESK[0], "not the password"))
    assert wrong.status_code == 401 and "do not match" in wrong.text
    assert sign_in(client, FRONT_DESK).status_code == 303
    page = client.get("/").text
    assert "frontdesk" in page and "front desk" in page and "Sign out" in page


def test_content_staff_see_hidden_leaflets_marked(make_client):
    desk = make_client(accounts_config())
    sign_in(desk, FRONT_DESK)
    assert "Draft leaflet" not in desk.get("/?q=migraine").text
    staff = make_client(accounts_config())
    sign_in(staff, CONTENT)
    page = staff.get("/?q=migraine").text
    assert "Draft leaflet on migraine" in page and "hidden from front desk" in page
    assert "Review overdue since" in staff.get("/?q=sprain").text


def test_sign_out_needs_the_token_and_ends_the_session(make_client):
    client = make_client(accounts_config())
    sign_in(client, FRONT_DESK)
    assert client.post("/signout").status_code == 403
    html = client.get("/").text
    assert client.post("/signout", data={"csrftoken": token(html)}).status_code == 303
    assert client.get("/").status_code == 303


def test_proxy_header_only_from_the_trusted_proxy(make_client):
    config = DeskConfig.model_validate({"sign_in": {"proxy": {
        "header": "X-Remote-User", "trusted": ["127.0.0.1"], "content_staff": ["ed"]}}})
    behind = make_client(config, client=("127.0.0.1", 1234))
    assert behind.get("/", headers={"X-Remote-User": "ann"}).status_code == 200
    page = behind.get("/?q=migraine", headers={"X-Remote-User": "ed"}).text
    assert "content staff" in page and "Draft leaflet" in page
    direct = make_client(config, client=("192.0.2.10", 1234))
    assert direct.get("/", headers={"X-Remote-User": "ed"}).status_code == 303


def test_sign_in_attempts_are_limited(make_client, monkeypatch):
    import handout_builder.desk.security as security

    monkeypatch.setattr(security, "check_password", lambda password, stored: False)
    client = make_client(accounts_config())
    codes = [sign_in(client, (FRONT_DESK[0], "wrong")).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_binding_beyond_loopback_needs_sign_in():
    check_binding("127.0.0.1", DeskConfig(), None)
    check_binding("::1", DeskConfig(), None)
    check_binding("localhost", DeskConfig(), None)
    with pytest.raises(InvalidOption, match="without staff sign-in"):
        check_binding("0.0.0.0", DeskConfig(), None)
    with pytest.raises(InvalidOption):
        check_binding("192.0.2.5", DeskConfig.model_validate({"sign_in": {}}), None)
    check_binding("0.0.0.0", accounts_config(), None)


def test_serve_refuses_a_network_address_without_sign_in(capsys):
    from handout_builder.cli import main

    assert main(["serve", "--library", "handouts", "--host", "0.0.0.0"]) == 1
    assert "without staff sign-in" in capsys.readouterr().err


def test_passwords_are_hashed():
    stored = hash_password("correct horse battery", n=2**10)
    assert stored.startswith("scrypt$") and "correct" not in stored
    assert check_password("correct horse battery", stored)
    assert not check_password("correct horse batterY", stored)
    assert not check_password("x", "plain-text-password")


def test_settings_file_errors_name_the_field(tmp_path):
    path = tmp_path / "desk.yaml"
    path.write_text("sign_in:\n  accounts:\n    - name: ann\n      password: hunter2\n"
                    "emails_per_hour: 0\nunknown: 1\n", encoding="utf-8")
    with pytest.raises(InvalidOption) as caught:
        load_config(path)
    fields = {p.field for p in caught.value.problems}
    assert {"sign_in.accounts.0.password", "emails_per_hour", "unknown"} <= fields
    assert "hunter2" not in str(caught.value)


def test_rate_limit():
    now = [0.0]
    limit = RateLimit(2, 60, clock=lambda: now[0])
    assert limit.allow("ann") and limit.allow("ann") and not limit.allow("ann")
    assert limit.allow("bob")
    now[0] = 61
    assert limit.allow("ann")


def test_connect_lists_the_leaflets_for_a_code(shared_client):
    page = shared_client.get("/connect?code=http://hl7.org/fhir/sid/icd-10-cm|I50.9&lang=es")
    assert page.status_code == 200
    assert "Insuficiencia cardíaca" in page.text and ">Heart failure<" not in page.text
    assert "1 leaflet found" in page.text and "broader code" in page.text
    none_in_french = shared_client.get("/connect?code=ICD-10-CM|I10&lang=vi").text
    assert "High blood pressure" in none_in_french
    wrong = shared_client.get("/connect?code=ICD-10-CM|E11.99999")
    assert wrong.status_code == 400 and "not a valid ICD-10-CM code" in wrong.text
    assert shared_client.get("/connect?code=E11.9").status_code == 400
