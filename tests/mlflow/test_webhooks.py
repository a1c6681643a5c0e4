"""MLflow 3 webhooks: created with MlflowClient, fired by a real registry change
to a receiver in this test, signature verified."""
import base64
import hashlib
import hmac
import http.server
import json
import queue
import threading

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from conftest import cli

pytestmark = pytest.mark.skipif(mlflow.__version__.startswith("2."), reason="webhooks arrived in MLflow 3.3")

SECRET = "s3cret-for-the-test"


@pytest.fixture
def receiver():
    got = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.put((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", got
    srv.shutdown()


def _verify(headers, body):
    signed = f"{headers['X-MLflow-Delivery-Id']}.{headers['X-MLflow-Timestamp']}.".encode() + body
    want = "v1," + base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["X-MLflow-Signature"], want)


def test_webhook_fires_on_registry_changes(server, client, receiver):
    url, got = receiver
    hook = client.create_webhook(name="ci", url=url, secret=SECRET,
                                 events=["model_version.created", "model_version_alias.created",
                                         "model_version_tag.set"])
    assert client.get_webhook(hook.webhook_id).url == url
    assert [w.name for w in client.list_webhooks()] == ["ci"]

    client.create_registered_model("hooked")  # not subscribed: no delivery
    client.create_model_version("hooked", "s3://b/k", run_id="c" * 32)
    headers, body = got.get(timeout=10)
    _verify(headers, body)
    event = json.loads(body)
    assert (event["entity"], event["action"]) == ("model_version", "created")
    assert event["data"]["name"] == "hooked" and event["data"]["version"] == "1"

    client.set_registered_model_alias("hooked", "prod", "1")
    headers, body = got.get(timeout=10)
    _verify(headers, body)
    assert json.loads(body)["data"] == {"name": "hooked", "alias": "prod", "version": "1"}
    assert got.empty()

    client.transition_model_version_stage("hooked", "1", "Staging")  # a reserved tag: no event
    client.set_model_version_tag("hooked", "1", "validated", "yes")
    headers, body = got.get(timeout=10)
    event = json.loads(body)
    assert (event["entity"], event["action"]) == ("model_version_tag", "set")
    assert event["data"] == {"name": "hooked", "version": "1", "key": "validated", "value": "yes"}

    # A change made with the Modelry CLI fires the same webhooks.
    cli(server, "alias", "set", "hooked", "canary", "1")
    headers, body = got.get(timeout=10)
    _verify(headers, body)
    assert json.loads(body)["data"] == {"name": "hooked", "alias": "canary", "version": "1"}

    client.update_webhook(hook.webhook_id, status="DISABLED")
    client.set_registered_model_alias("hooked", "staging", "1")
    with pytest.raises(queue.Empty):
        got.get(timeout=1)

    client.delete_webhook(hook.webhook_id)
    with pytest.raises(MlflowException, match="not found"):
        client.get_webhook(hook.webhook_id)


def test_webhook_test_call(client, receiver):
    url, got = receiver
    hook = client.create_webhook(name="probe", url=url, events=["registered_model.created"])
    result = client.test_webhook(hook.webhook_id)
    assert result.success and result.response_status == 200
    headers, body = got.get(timeout=10)
    assert "X-MLflow-Signature" not in headers  # no secret, no signature
    assert json.loads(body)["entity"] == "registered_model"
