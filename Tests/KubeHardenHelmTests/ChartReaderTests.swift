import Foundation
import KubeHarden
import XCTest

@testable import KubeHardenHelm

/// Chart folders: library charts, charts without values, values that do not parse.
final class ChartReaderTests: XCTestCase {
  func makeChart(_ files: [String: String]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-chart-\(UUID().uuidString)")
    for (path, text) in files {
      let url = root.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url)
    }
    addTeardownBlock { try? FileManager.default.removeItem(at: root) }
    return root.path
  }

  static let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: example.com/c:1\n"

  func testLibraryChartRendersNothing() throws {
    let chart = try makeChart(["Chart.yaml": "apiVersion: v2\nname: lib\ntype: library\nversion: 0.1.0\n", "templates/pod.yaml": Self.pod])
    let reports = ChartProcessor.process(directory: chart, valuesBytes: nil, configuration: Configuration())
    XCTAssertEqual(reports.flatMap(\.findings).count, 0)
    // The same chart as an application chart: its Pod is checked.
    let app = try makeChart(["Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "templates/pod.yaml": Self.pod])
    XCTAssertGreaterThan(
      ChartProcessor.process(directory: app, valuesBytes: nil, configuration: Configuration()).flatMap(\.findings).count, 0)
  }

  func testWithoutValuesEveryFixIsManual() throws {
    let chart = try makeChart(["Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "templates/pod.yaml": Self.pod])
    let reports = ChartProcessor.process(directory: chart, valuesBytes: nil, configuration: Configuration())
    XCTAssertFalse(reports.contains { $0.changed })
    XCTAssertTrue(reports.flatMap(\.findings).allSatisfy { !$0.status.isFixable })
  }

  func testValuesThatDoNotParseAreAnError() throws {
    let chart = try makeChart(["Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "values.yaml": "a: [\n"])
    let reports = ChartProcessor.process(directory: chart, valuesBytes: nil, configuration: Configuration())
    XCTAssertEqual(reports.count, 1)
    XCTAssertEqual(reports.first?.path, chart + "/values.yaml")
    XCTAssertGreaterThanOrEqual(reports.first?.error?.line ?? 0, 1)
  }
}
