"""Notification channels: configuration, and the HTTP gateway against a local server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from expert_draw.notify import HttpGatewayChannel, LogChannel, Message, SmtpChannel, channels


class Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(200 if "fail" not in self.path else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_channels_from_config():
    found = channels(
        {
            "EXPERT_DRAW_CHANNELS": "log,sms,voice,email",
            "EXPERT_DRAW_SMS_URL": "http://sms.local/send",
            "MAIL_SERVER": "smtp.local",
        }
    )
    assert [type(c) for c in found] == [LogChannel, HttpGatewayChannel, SmtpChannel]  # voice has no URL
    assert [c.name for c in channels({})] == ["log"]


def test_http_gateway_posts_the_message(gateway):
    message = Message(phone="13800000000", email=None, subject="评审邀请", text="答复码 abc")
    HttpGatewayChannel("sms", f"{gateway}/send", "secret").send(message)
    assert Gateway.received == [("Bearer secret", {"to": "13800000000", "text": "答复码 abc"})]
    with pytest.raises(OSError):
        HttpGatewayChannel("voice", f"{gateway}/fail", "secret").send(message)
