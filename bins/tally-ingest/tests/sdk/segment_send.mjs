// Sends Segment messages to Tally with Segment's Node SDK.
//
// Usage: node segment_send.mjs URL WRITE_KEY MESSAGES_JSON
//
// MESSAGES_JSON holds a list of messages in Segment's own shape (`type`,
// `messageId`, `userId`, `timestamp` and the type's fields); each becomes one
// call of the SDK. Exits 1 when the SDK reports an upload error.

import { readFileSync } from 'node:fs';
import { Analytics } from '@segment/analytics-node';

const [url, writeKey, messagesPath] = process.argv.slice(2);
const messages = JSON.parse(readFileSync(messagesPath, 'utf8'));
// A refused batch is reported at once rather than retried for minutes.
const analytics = new Analytics({ writeKey, host: url, maxRetries: 1 });
const errors = [];
analytics.on('error', (error) => errors.push(String(error.reason ?? error.message ?? error)));
for (const { type, ...params } of messages) {
  analytics[type](params);
}
await analytics.closeAndFlush();
for (const error of errors) {
  console.error(`@segment/analytics-node: ${error}`);
}
process.exit(errors.length > 0 ? 1 : 0);
