import assert from "node:assert/strict";
import { helpText } from "./help.ts";

Deno.test("help: statement keywords explain their form (`help show` lists the topics); an unknown topic gets did-you-mean (issue 2 §4: help NAME)", () => {
  assert.match(helpText("show"), /^show TOPIC .*Topics: .*memslots/);
  assert.match(helpText("for"), /^for NAME in A\.\.B/);
  assert.match(helpText("ioctl"), /=> -EEXIST/);
  assert.equal(
    helpText("KVM_CRATE_VM"),
    "no help for `KVM_CRATE_VM`; did you mean `KVM_CREATE_VM`?",
  );
  assert.equal(helpText("zzzzzzzz_qqqq"), "no help for `zzzzzzzz_qqqq`");
  // An ioctl still wins over everything else.
  assert.match(helpText("KVM_CREATE_VM"), /^KVM_CREATE_VM — /);
});
