// The official openai npm client against a Parley server: PARLEY_URL is the server's base URL.
// Prints one JSON object with what the client saw; the Go test asserts on it.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.PARLEY_URL + "/v1", apiKey: "unused", maxRetries: 0 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const first = await client.chat.completions
  .create({ model: "bank", messages: [{ role: "user", content: "I want to deposit a check for $1,250.75" }] })
  .withResponse();
out.conversation = first.response.headers.get("x-parley-conversation");
out.content = first.data.choices[0].message.content;
out.usage = first.data.usage;

const png = process.env.PARLEY_PNG_B64;
const second = await client.chat.completions.create(
  {
    model: "bank",
    messages: [{ role: "user", content: [
      { type: "text", text: "here is the photo" },
      { type: "image_url", image_url: { url: "data:image/png;base64," + png } },
    ] }],
  },
  { headers: { "X-Parley-Conversation": out.conversation } },
);
out.second = second.choices[0].message.content;

const stream = await client.chat.completions.create({
  model: "bank", user: "npm-user", stream: true, stream_options: { include_usage: true },
  messages: [{ role: "user", content: "what are your branch opening hours" }],
});
out.chunks = 0;
out.streamed = "";
for await (const chunk of stream) {
  out.chunks++;
  if (chunk.usage) out.streamUsage = chunk.usage;
  for (const c of chunk.choices) {
    out.streamed += c.delta?.content ?? "";
    if (c.finish_reason) out.finish = c.finish_reason;
  }
}

try {
  await client.chat.completions.create({ model: "no-such-pack", messages: [{ role: "user", content: "hi" }] });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, code: e.code, message: e.message };
}
try {
  await client.chat.completions.create({ model: "bank", messages: [{ role: "user", content: [
    { type: "image_url", image_url: { url: "http://example.com/check.png" } }] }] });
  out.urlError = null;
} catch (e) {
  out.urlError = { status: e.status, code: e.code };
}
console.log(JSON.stringify(out));
