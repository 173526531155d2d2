import XCTest
import YAMLSource

@testable import KubeHarden

final class ConfigurationTests: XCTestCase {
  func configuration(_ text: String) throws -> Configuration {
    var configuration = Configuration()
    try configuration.apply(configFile: Array(text.utf8), path: ".kubeharden.yaml")
    return configuration
  }

  func testEveryKey() throws {
    let c = try configuration(
      """
      skip: [read-only-root-filesystem]
      runAsUser: 65532
      resources:
        requests: {cpu: 50m, memory: 64Mi}
        limits:
          cpu: "2"
          memory: 1Gi
      podTemplatePaths:
        - {apiVersion: apps.kruise.io/v1beta1, kind: StatefulSet, path: spec.template.spec}
      exclude: ["vendor/**"]
      limitRange:
        name: team.defaults-1
        exclude: [sandbox]
      """)
    XCTAssertEqual(c.limitRange.name, "team.defaults-1")
    XCTAssertEqual(c.limitRange.exclude, ["sandbox"])
    XCTAssertEqual(Configuration().limitRange.exclude, ["kube-system", "kube-public", "kube-node-lease"])
    XCTAssertFalse(c.isEnabled("read-only-root-filesystem"))
    XCTAssertTrue(c.isEnabled("no-privileged"))
    XCTAssertEqual(c.runAsUser, 65532)
    XCTAssertEqual(c.resources.cpuRequest, Quantity("50m"))
    XCTAssertEqual(c.resources.cpuLimit, Quantity("2"))
    XCTAssertEqual(
      c.podTemplatePaths,
      [PodTemplatePath(apiVersion: "apps.kruise.io/v1beta1", kind: "StatefulSet", specPath: ["spec", "template", "spec"])])
    XCTAssertEqual(c.exclude, ["vendor/**"])
    XCTAssertEqual(try configuration("only: no-privileged, run-as-non-root").enabledPasses, ["no-privileged", "run-as-non-root"])
  }

  func testBadValuesNameTheKeyAndValue() {
    let cases: [(String, String)] = [
      ("colour: red", "unknown key 'colour'"),
      ("only: [no-such-pass]", "no-such-pass"),
      ("runAsUser: 0", "runAsUser: '0'"),
      ("runAsUser: root", "runAsUser: 'root'"),
      ("resources: {limits: {cpu: lots}}", "resources.limits.cpu: 'lots'"),
      ("resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}", "memory request 2Gi is above the default memory limit 1Gi"),
      ("podTemplatePaths: [{kind: X}]", "podTemplatePaths"),
      ("a: [", "error"),
      ("limitRange: [x]", "limitRange: expected a mapping"),
      ("limitRange: {name: Team_Limits}", "limitRange.name: 'Team_Limits' is not a DNS subdomain name"),
      ("limitRange: {name: -x}", "limitRange.name: '-x'"),
      ("limitRange: {names: x}", "limitRange: unknown key 'names'"),
      ("limitRange: {exclude: {a: b}}", "limitRange.exclude: expected a list"),
    ]
    for (text, expected) in cases {
      XCTAssertThrowsError(try configuration(text), text) { error in
        XCTAssertTrue(String(describing: error).contains(expected), "\(text): \(error)")
      }
    }
  }

  func testCustomKindPodTemplatePath() throws {
    let manifest = """
      apiVersion: apps.kruise.io/v1beta1
      kind: StatefulSet
      spec:
        template:
          spec:
            containers:
            - name: web
      """
    let untouched = Pipeline().process(path: "k.yaml", bytes: Array(manifest.utf8))
    XCTAssertFalse(untouched.changed, "custom kinds are left alone by default")
    var c = Configuration(enabledPasses: ["no-privileged"])
    c.podTemplatePaths = [PodTemplatePath(kind: "StatefulSet", specPath: ["spec", "template", "spec"])]
    let fixed = Pipeline(configuration: c).process(path: "k.yaml", bytes: Array(manifest.utf8))
    XCTAssertEqual(String(decoding: fixed.fixed, as: UTF8.self), manifest + "\n        securityContext:\n          privileged: false")
  }

  func testDefaultsAndUIDFlowIntoTheFix() {
    var c = Configuration(enabledPasses: ["run-as-non-root", "resource-limits"])
    c.runAsUser = 20000
    c.resources.cpuLimit = Quantity("1")!
    let manifest = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"
    let out = String(decoding: Pipeline(configuration: c).process(path: "p.yaml", bytes: Array(manifest.utf8)).fixed, as: UTF8.self)
    XCTAssertTrue(out.contains("runAsUser: 20000"), out)
    XCTAssertTrue(out.contains("cpu: \"1\""), out)
  }

  func testProfileSelectsThePodSecurityChecks() throws {
    var c = Configuration()
    XCTAssertEqual(c.profile, .restricted)
    XCTAssertTrue(c.isEnabled("restricted-volume-types"))
    XCTAssertFalse(c.isEnabled("host-path-volumes"), "restricted replaces hostPathVolumes with restrictedVolumes")
    XCTAssertTrue(c.isEnabled("added-capabilities"), "added-capabilities checks capabilities_restricted's add list")
    try c.apply(configFile: Array("profile: baseline\n".utf8), path: ".kubeharden.yaml")
    XCTAssertEqual(c.profile, .baseline)
    for id in ["run-as-non-root", "no-privilege-escalation", "drop-capabilities", "restricted-volume-types"] {
      XCTAssertFalse(c.isEnabled(id), id)
    }
    for id in [
      "host-path-volumes", "added-capabilities", "no-privileged", "seccomp-profile", "read-only-root-filesystem", "resource-limits",
    ] {
      XCTAssertTrue(c.isEnabled(id), id)
    }
    XCTAssertThrowsError(try c.apply(configFile: Array("profile: strict\n".utf8), path: ".kubeharden.yaml")) { error in
      XCTAssertTrue("\(error)".contains("'strict' is not a Pod Security profile"), "\(error)")
    }
    // Under baseline a pod with no seccomp profile passes; Unconfined is still reported.
    let bare = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"
    var seccomp = Configuration(enabledPasses: ["seccomp-profile"])
    seccomp.profile = .baseline
    XCTAssertTrue(Pipeline(configuration: seccomp).process(path: "p.yaml", bytes: Array(bare.utf8)).findings.isEmpty)
    let unconfined = bare + "  securityContext:\n    seccompProfile: {type: Unconfined}\n"
    XCTAssertEqual(Pipeline(configuration: seccomp).process(path: "p.yaml", bytes: Array(unconfined.utf8)).findings.count, 1)
  }
}
