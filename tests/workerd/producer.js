// Producer Worker of the end-to-end test: every kind of invocation the tail worker must forward.
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

export class Counter extends DurableObject {
  async fetch(request) {
    await this.ctx.storage.setAlarm(Date.now() + 50);
    console.log("alarm scheduled");
    return new Response("scheduled");
  }

  async alarm() {
    console.log("alarm fired for counter");
  }
}

export default class Producer extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/throw") {
      console.log("about to fail");
      throw new TypeError("widget 42 not found");
    }
    if (url.pathname === "/do") {
      const stub = this.env.COUNTER.get(this.env.COUNTER.idFromName("e2e"));
      return stub.fetch("https://do/alarm");
    }
    console.log("handling", url.pathname, { user: "u1", n: 3 });
    console.info("answer", 42);
    console.warn("slow upstream");
    console.error("upstream failed", new Error("upstream 503"));
    console.log(JSON.stringify({ level: "info", message: "order placed", correlation_id: "corr-123", order_id: 7 }));
    return new Response("hello", { status: 201 });
  }

  async scheduled(controller) {
    console.log("cron ran", controller.cron);
  }

  async queue(batch) {
    console.log("queue batch", batch.queue, batch.messages.length);
    for (const message of batch.messages) message.ack();
  }

  async add(a, b) {
    console.log("rpc add", a, b);
    return a + b;
  }
}
