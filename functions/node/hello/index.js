// node-hello is the no-op function of the paper's cold-start, burst, idle and network experiments:
// 200 "ok" on any path and method.
'use strict';

const { serve, text, drain } = require('./serve');

serve((req, res) => drain(req, () => text(res, 'ok')));
