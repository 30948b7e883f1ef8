// Driver Worker of the end-to-end test: fires scheduled, queue and RPC invocations at the
// producer through a service binding (needs compat flag service_binding_extra_handlers).
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/scheduled") {
      const result = await env.PRODUCER.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date() });
      return Response.json(result);
    }
    if (pathname === "/queue") {
      const result = await env.PRODUCER.queue("orders", [
        { id: "m1", timestamp: new Date(), body: { order: 1 }, attempts: 1 },
        { id: "m2", timestamp: new Date(), body: { order: 2 }, attempts: 1 },
      ]);
      return Response.json(result);
    }
    if (pathname === "/rpc") {
      return Response.json({ sum: await env.PRODUCER.add(2, 3) });
    }
    return new Response("unknown driver path", { status: 404 });
  },
};
