"""A chat gateway the tests (and bench/notify_delivery.py) start on 127.0.0.1: it records every
request it receives and answers as WhatsApp's Cloud API, a form gateway or Telegram's Bot API
would, or fails on demand (an HTTP error, or no answer at all)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TOKEN = "123456:SECRET-bot-token"
CLOUD_TOKEN = "EAAG-secret-cloud-token"
FORM_TOKEN = "fonnte-secret-token"
PHONE = "6281234567890"
CHAT_ID = "987654321"


def chat_settings(url: str, provider: str = "http-form", **whatsapp) -> dict:
    """``config["CHAT"]`` pointing every gateway at ``url`` (the recorder)."""
    settings = {
        "whatsapp": {
            "provider": provider,
            "cloud_url": f"{url}/v21.0",
            "cloud_phone_number_id": "1055551234",
            "cloud_token": CLOUD_TOKEN,
            "cloud_template": "",
            "cloud_template_language": "id",
            "form_url": f"{url}/send",
            "form_token": FORM_TOKEN,
            "form_auth_header": "Authorization",
            "form_token_field": "",
            "form_phone_field": "target",
            "form_message_field": "message",
            "form_check_status": True,
        },
        "telegram": {"token": TOKEN, "api_url": url, "bot_name": "@dinas_sopflow_bot"},
        "timeout": 2.0,
        "max_attempts": 8,
    }
    settings["whatsapp"].update(whatsapp)
    return settings


@dataclass
class Received:
    """One request as the gateway got it, and when (``time.time()``)."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Recorder:
    """The gateway's state: what came in, and how it answers (``mode``).

    ``mode``: ``ok`` answers like the real service; ``error`` answers HTTP 500; ``refuse``
    answers 200 with a body saying no (``status: false``, ``ok: false``); ``echo`` answers HTTP
    500 quoting the request's path and its token (header or form field) back; ``hang`` keeps
    the request waiting until ``release`` is set (the sender's timeout ends it).
    """

    mode: str = "ok"
    received: list[Received] = field(default_factory=list)
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self, prefix: str = "") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.startswith(prefix)]


def _answer(recorder: Recorder, path: str, request: Received) -> tuple[int, dict]:
    if recorder.mode == "error":
        return 500, {"error": {"message": "gateway down for maintenance", "code": 500}}
    if recorder.mode == "echo":  # an error page quoting the request back, as proxies' do
        quoted = request.headers.get("Authorization") or request.form().get("token", "")
        return 500, {"error": f"cannot serve POST {path} ({quoted})"}
    telegram = path.startswith("/bot")
    cloud = path.endswith("/messages")
    if recorder.mode == "refuse":
        if telegram:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }
        return 200, {"status": False, "reason": "invalid token"}
    if telegram:
        return 200, {"ok": True, "result": {"message_id": len(recorder.received)}}
    if cloud:
        return 200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.TEST"}]}
    return 200, {"status": True, "detail": "success! message in queue"}


def _handler(recorder: Recorder):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            entry = Received(self.path, dict(self.headers), body, time.time())
            with recorder.lock:
                recorder.received.append(entry)
            with recorder.arrived:
                recorder.arrived.notify_all()
            if recorder.mode == "hang":
                recorder.release.wait(30)
                return  # the client gave up; nothing to answer
            status, answer = _answer(recorder, self.path, entry)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

    return Handler


class RecorderServer:
    """Run a :class:`Recorder` on a free port of 127.0.0.1 in a thread; ``close()`` stops it."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.recorder))
        self.server.daemon_threads = True
        self.recorder.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.recorder.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
