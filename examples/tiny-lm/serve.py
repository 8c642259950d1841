"""Serves the tiny GPT over an OpenAI-compatible HTTP API, on 127.0.0.1.

    python serve.py [--checkpoint .bayestune/defaults-run/step-300.pt] [--port 8000] [--log requests.jsonl]

POST /v1/chat/completions takes the OpenAI request body (model, messages,
temperature, top_p, max_tokens, frequency_penalty, presence_penalty, seed) and
answers with a chat.completion whose content is the model's continuation of the
last user message; GET /v1/models lists the one model. Without a checkpoint the
weights are random. Standard library HTTP: the point is a real model behind a
real endpoint, for bayestune's sampling-parameter trials and their tests.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_lm import SIZES, TinyGPT  # noqa: E402

MODEL_NAME = "tiny-lm"


def load(checkpoint: str | None, size: str) -> TinyGPT:
    if checkpoint is None:
        torch.manual_seed(0)
        return TinyGPT(SIZES[size], dropout=0.0)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    from tiny_lm import ModelSize

    model = TinyGPT(ModelSize(**state["size"]), dropout=0.0)
    model.load_state_dict(state["model"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--size", default="tiny", choices=sorted(SIZES))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log", default=None, help="append each request's sampling parameters here, one JSON line each")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load(args.checkpoint, args.size)
    lock = threading.Lock()  # one generation at a time: the model is not re-entrant

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *values: object) -> None:  # quiet: the test reads stdout
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "bayestune"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                prompt = next(m["content"] for m in reversed(request["messages"]) if m["role"] == "user")
            except (ValueError, KeyError, StopIteration) as error:
                self._send(400, {"error": {"message": f"a chat request needs messages with a user message: {error}"}})
                return
            sampling = {
                "temperature": float(request.get("temperature", 1.0)),
                "top_p": float(request.get("top_p", 1.0)),
                "max_tokens": int(request.get("max_tokens") or 32),
                "frequency_penalty": float(request.get("frequency_penalty", 0.0)),
                "presence_penalty": float(request.get("presence_penalty", 0.0)),
            }
            generator = torch.Generator().manual_seed(int(request["seed"])) if request.get("seed") is not None else None
            with lock:
                text = model.generate(prompt.encode("utf-8"), generator=generator, **sampling).decode("utf-8", errors="replace")
                if args.log is not None:
                    with open(args.log, "a", encoding="utf-8") as log:
                        log.write(json.dumps(sampling) + "\n")
            self._send(
                200,
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": MODEL_NAME,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}],
                    "usage": {"prompt_tokens": len(prompt.encode()), "completion_tokens": sampling["max_tokens"], "total_tokens": len(prompt.encode()) + sampling["max_tokens"]},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(json.dumps({"listening": f"http://127.0.0.1:{server.server_address[1]}/v1"}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
