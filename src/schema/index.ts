// Imports each type file for its side effects, then builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import { refuseNulInArguments } from './textArgs.js';
import './userError.js';
import './connection.js';
import './associate.js';
import './account.js';
import './apiKey.js';
import './consoleLink.js';
import './credential.js';
import './eventType.js';
import './webhook.js';
import './delivery.js';
import './routing.js';
import './bulkOperation.js';
import './health.js';
import './node.js';

export const schema = refuseNulInArguments(lexicographicSortSchema(builder.toSchema()));
