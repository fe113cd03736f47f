// Validate AsyncAPI documents with the official parser (and its Avro and Protobuf schema
// parsers); print every diagnostic as one JSON line, exit 1 when any is an error.
import { Parser, fromFile } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { ProtoBuffSchemaParser } from '@asyncapi/protobuf-schema-parser';

const parser = new Parser({ schemaParsers: [AvroSchemaParser(), ProtoBuffSchemaParser()] });
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await fromFile(parser, file).parse();
  for (const d of diagnostics) {
    console.log(JSON.stringify({ file, severity: d.severity, code: d.code, path: d.path, message: d.message }));
    if (d.severity === 0) failed = true;
  }
  if (!document) failed = true;
  else console.log(JSON.stringify({ file, valid: true, channels: document.channels().length, messages: document.messages().length }));
}
process.exit(failed ? 1 : 0);
