import { createServer } from "node:http";
import { startMailServer } from "./mail-server";

// For Playwright: a real SMTP server the app under test sends to, and a small HTTP endpoint that lists
// what it received (GET /messages), so a spec can open the link in a mail. Loopback only.
// Usage: node --import tsx src/test/mail-catcher.ts <smtp port> <http port>

const [smtpPort, httpPort] = process.argv.slice(2).map(Number);
if (!smtpPort || !httpPort) throw new Error("usage: mail-catcher.ts <smtp port> <http port>");

const mail = await startMailServer(smtpPort);
createServer((request, response) => {
  if (request.url === "/messages") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(mail.messages()));
    return;
  }
  response.writeHead(404).end();
}).listen(httpPort, "127.0.0.1", () => {
  console.log(`mail catcher: SMTP on ${mail.port}, messages at http://127.0.0.1:${httpPort}/messages`);
});
