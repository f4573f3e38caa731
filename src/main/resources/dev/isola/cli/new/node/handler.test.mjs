// Run with: node --test
import test from 'node:test';
import assert from 'node:assert/strict';
import handler from './handler.mjs';

test('greets by name', async () => {
  const response = await handler(new Request('http://localhost/?name=Isola'));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'Hello, Isola!\n');
});
