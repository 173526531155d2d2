import KubeHarden

/// The findings a chart input adds to the passes' own: what kubeharden cannot read in a chart
/// (`helm-chart`). Not a pass (it checks no pod); reports list it with the passes' rules so that
/// SARIF and JSON consumers find its title, severity and text.
public enum ChartDiagnostics {
  public static let id = "helm-chart"

  public static let metadata = PassMetadata(
    id: id, title: "kubeharden can read every template of the chart", severity: .warning,
    rationale: """
      A chart is checked on what its templates render with the chart's default values. A template \
      kubeharden cannot parse, or a rendered workload that is not YAML to it, is not checked at all: \
      the finding says so, so that such a workload is never silently taken as fixed.
      """,
    fixDescription: "Nothing (manual): render the chart (`helm template`) and check or fix its output.",
    applicability: "Manual only: kubeharden does not know what the template renders.",
    references: [.owasp("K01")], triggering: [], nonTriggering: [])
}
