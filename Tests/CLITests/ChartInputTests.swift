import Foundation
import XCTest

/// `kubeharden fix|diff|check CHART_DIR`: a folder with `Chart.yaml` is a chart input, also when
/// found while walking a larger tree; only its values.yaml is ever written.
final class ChartInputTests: XCTestCase {
  /// A copy of the `with-toyaml` chart fixture inside a tree, next to a plain manifest.
  func makeTree() throws -> (root: URL, chart: URL) {
    let root = try makeTemporaryDirectory()
    let chart = root.appendingPathComponent("deploy/web")
    try FileManager.default.createDirectory(at: chart.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: TestPaths.repositoryRoot.appendingPathComponent("Fixtures/helm/with-toyaml/chart"), to: chart)
    // Values overrides for CI and a helm-unittest suite: not manifests.
    try Files.write("securityContext:\n  runAsUser: {{ 0 }}\n", to: chart.appendingPathComponent("ci/ci-values.yaml"))
    try Files.write("suite: t\ntemplates: [deployment.yaml]\n", to: chart.appendingPathComponent("tests/t_test.yaml"))
    // A rendered example inside the chart folder: part of the chart when the folder is walked,
    // an ordinary manifest when named on the command line.
    try Files.write(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: example\nspec:\n  containers:\n  - name: c\n    image: example.com/c:1\n",
      to: chart.appendingPathComponent("examples/pod.yaml"))
    return (root, chart)
  }

  func testFixEditsOnlyValuesAndIsIdempotent() throws {
    _ = try TestPaths.requireBinary()
    let (root, chart) = try makeTree()
    let template = try Files.read(chart.appendingPathComponent("templates/deployment.yaml"))
    let ci = try Files.read(chart.appendingPathComponent("ci/ci-values.yaml"))
    let first = run(["fix", root.path])
    XCTAssertEqual(first.status, 0, first.stderr)
    let expected = try Files.read(TestPaths.repositoryRoot.appendingPathComponent("Fixtures/helm/with-toyaml/expected.values.yaml"))
    XCTAssertEqual(try Files.read(chart.appendingPathComponent("values.yaml")), expected)
    XCTAssertEqual(try Files.read(chart.appendingPathComponent("templates/deployment.yaml")), template)
    XCTAssertEqual(try Files.read(chart.appendingPathComponent("ci/ci-values.yaml")), ci)
    let example = chart.appendingPathComponent("examples/pod.yaml")
    XCTAssertNil(
      String(decoding: try Files.read(example), as: UTF8.self).range(of: "seccompProfile"),
      "a walked chart folder is one input: only its values.yaml is written")
    let second = run(["fix", root.path])
    XCTAssertEqual(second.status, 0, second.stderr)
    XCTAssertTrue(second.stderr.contains(" 0 changed"), second.stderr)
    let named = run(["fix", example.path])
    XCTAssertEqual(named.status, 0, named.stderr)
    XCTAssertNotNil(
      String(decoding: try Files.read(example), as: UTF8.self).range(of: "seccompProfile"), "a file named on the command line is a manifest"
    )
  }

  func testCheckPointsAtValuesAndTemplateLines() throws {
    _ = try TestPaths.requireBinary()
    let (_, chart) = try makeTree()
    let result = run(["check", "--format", "json", chart.path])
    XCTAssertEqual(result.status, 1, result.stderr)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    let files = try XCTUnwrap(json["files"] as? [[String: Any]])
    let byPath = Dictionary(uniqueKeysWithValues: files.compactMap { file in (file["path"] as? String).map { ($0, file) } })
    let values = try XCTUnwrap(byPath[chart.path + "/values.yaml"])
    let findings = try XCTUnwrap(values["findings"] as? [[String: Any]])
    XCTAssertTrue(
      findings.contains { ($0["message"] as? String)?.contains("rendered from templates/deployment.yaml") == true }, "\(findings)")
    let template = try XCTUnwrap(byPath[chart.path + "/templates/deployment.yaml"], "manual findings at the template: \(byPath.keys)")
    XCTAssertEqual(template["changed"] as? Bool, false)
    XCTAssertNil(byPath[chart.path + "/ci/ci-values.yaml"], "ci values files are not manifests")
    let diff = run(["diff", chart.path], cwd: chart)
    XCTAssertTrue(String(decoding: diff.stdout, as: UTF8.self).contains("+++ b/values.yaml"), diff.stderr)
  }

  /// The README's Helm example is what the binary prints on the corpus chart it names.
  func testReadmeHelmExampleIsCurrent() throws {
    _ = try TestPaths.requireBinary()
    guard let corpus = TestPaths.shared?.appendingPathComponent("corpus/helm"),
      FileManager.default.fileExists(atPath: corpus.appendingPathComponent("snyk-exporter/Chart.yaml").path)
    else { throw XCTSkip("SKIPPED: ../shared/corpus/helm/snyk-exporter is not present") }
    let readme = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let start = try XCTUnwrap(readme.range(of: "<!-- helm-example -->\n```console\n$ kubeharden diff snyk-exporter\n"))
    let end = try XCTUnwrap(readme.range(of: "```\n<!-- /helm-example -->"))
    let shown = String(readme[start.upperBound..<end.lowerBound])
    let result = run(["diff", "snyk-exporter"], cwd: corpus)
    XCTAssertEqual(result.status, 1, result.stderr)
    XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), shown, "update README.md's Helm example")
  }

  /// What kubeharden cannot read in a chart is a finding of its own rule, listed in SARIF's rules.
  func testUnreadableTemplateIsAFindingWithARule() throws {
    _ = try TestPaths.requireBinary()
    let chart = try makeTemporaryDirectory().appendingPathComponent("bad")
    try Files.write("apiVersion: v2\nname: bad\nversion: 0.1.0\n", to: chart.appendingPathComponent("Chart.yaml"))
    try Files.write("x: 1\n", to: chart.appendingPathComponent("values.yaml"))
    try Files.write(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name \nspec: {}\n",
      to: chart.appendingPathComponent("templates/d.yaml"))
    let result = run(["check", "--format", "sarif", chart.path])
    XCTAssertEqual(result.status, 1, result.stderr)
    let sarif = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    let run = try XCTUnwrap((sarif["runs"] as? [[String: Any]])?.first)
    let rules = try XCTUnwrap(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
    let results = try XCTUnwrap(run["results"] as? [[String: Any]])
    let finding = try XCTUnwrap(results.first { $0["ruleId"] as? String == "helm-chart" }, "\(results)")
    let index = try XCTUnwrap(finding["ruleIndex"] as? Int)
    XCTAssertEqual(rules[index]["id"] as? String, "helm-chart")
  }
}
