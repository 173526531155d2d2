/// A reference to a standard or scanner check that a pass implements.
public enum Reference: Sendable, Hashable {
  /// OWASP Kubernetes Top 10 item, e.g. `K01`.
  case owasp(String)
  /// Pod Security Standards control, e.g. `Privileged Containers` (with its profile).
  case pss(String, profile: String)
  /// CIS Kubernetes Benchmark recommendation, e.g. `5.2.2`.
  case cis(String)
  /// checkov check id, e.g. `CKV_K8S_16`.
  case checkov(String)
  /// A page of the Kubernetes documentation, by title and path under `/docs/` (for what no
  /// scanner check covers, e.g. `Limit Ranges`, `concepts/policy/limit-range/`).
  case kubernetes(String, path: String)

  /// A human-readable label: "OWASP K01", "PSS Baseline: Privileged Containers", ...
  public var label: String {
    switch self {
    case .owasp(let id): return "OWASP Kubernetes Top 10 \(id)"
    case .pss(let control, let profile): return "Pod Security Standards (\(profile)): \(control)"
    case .cis(let id): return "CIS Kubernetes Benchmark \(id)"
    case .checkov(let id): return "checkov \(id)"
    case .kubernetes(let title, _): return "Kubernetes documentation: \(title)"
    }
  }

  /// A compact label for tables: "OWASP K01", "PSS Restricted", "CIS 5.2.7", "CKV_K8S_23".
  public var shortLabel: String {
    switch self {
    case .owasp(let id): return "OWASP \(id)"
    case .pss(_, let profile): return "PSS \(profile)"
    case .cis(let id): return "CIS \(id)"
    case .checkov(let id): return id
    case .kubernetes: return "Kubernetes docs"
    }
  }

  /// A URL that documents the reference.
  public var url: String {
    switch self {
    case .owasp: return "https://owasp.org/www-project-kubernetes-top-ten/2022/en/src/K01-insecure-workload-configurations"
    case .pss(_, let profile): return "https://kubernetes.io/docs/concepts/security/pod-security-standards/#\(profile.lowercased())"
    case .cis: return "https://www.cisecurity.org/benchmark/kubernetes"
    case .checkov: return "https://www.checkov.io/5.Policy%20Index/kubernetes.html"
    case .kubernetes(_, let path): return "https://kubernetes.io/docs/\(path)"
    }
  }
}

/// A Pod Security Standards profile: which Pod Security checks run (`--profile`, config `profile:`).
///
/// `restricted` runs every check; `baseline` runs the baseline checks only. A pass whose baseline
/// check the restricted profile replaces with a separate pass (`hostPathVolumes` by
/// `restrictedVolumes`) runs only under `baseline`; passes that implement both checks of a pair
/// (`procMount`/`procMount_restricted`, `capabilities_baseline`/`capabilities_restricted`,
/// the two seccomp checks) read the profile (pod-security-admission `OverrideCheckIDs`).
public enum PodSecurityProfile: String, Sendable, Hashable, CaseIterable, Comparable {
  case baseline, restricted

  public static func < (a: Self, b: Self) -> Bool { a == .baseline && b == .restricted }
}

/// Where a pass stands in the Pod Security Standards: its profile and the checks of the Pod
/// Security Admission library (`latest` policy) that it implements.
public struct PodSecurity: Sendable, Hashable {
  /// The lowest profile that contains the checks.
  public var profile: PodSecurityProfile
  /// The pod-security-admission check ids (`hostNamespaces`, `seccompProfile_restricted`, ...).
  public var checks: [String]
  /// Under the restricted profile this pass is replaced by a stricter one (PSA `OverrideCheckIDs`).
  public var replacedInRestricted: Bool

  public init(_ profile: PodSecurityProfile, checks: [String], replacedInRestricted: Bool = false) {
    self.profile = profile
    self.checks = checks
    self.replacedInRestricted = replacedInRestricted
  }

  /// Whether the pass runs when `selected` is the configured profile.
  public func runs(under selected: PodSecurityProfile) -> Bool {
    profile <= selected && !(replacedInRestricted && selected == .restricted)
  }

  /// `baseline (hostNamespaces)`.
  public var label: String { "\(profile.rawValue) (\(checks.joined(separator: ", ")))" }
}

/// A configuration key that a pass reads, for `explain` and the docs.
public struct ConfigKey: Sendable, Hashable {
  public var key: String
  public var flag: String?
  public var summary: String
  public init(key: String, flag: String?, summary: String) {
    self.key = key
    self.flag = flag
    self.summary = summary
  }
}

/// An example manifest for a pass: it documents the pass and runs as a test.
public struct PassExample: Sendable, Hashable {
  public var input: String
  /// The expected output of `fix` with only this pass enabled; `nil` for examples that must
  /// produce no finding (non-triggering).
  public var output: String?
  /// `safe`: `fix` writes `output`. `unsafe`: `fix` leaves the input as it is and reports the
  /// fix; `fix --unsafe-fixes` writes `output`.
  public var applicability: Applicability
  public init(_ input: String, fixed output: String? = nil, applicability: Applicability = .safe) {
    self.input = input
    self.output = output
    self.applicability = applicability
  }

  /// A Pod with one container and nothing hardened: the input most passes' first example fixes.
  public static let barePod = """
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
    """
}

/// Everything known about a pass that is not code: the single source for `rules`, `explain`,
/// SARIF rule help, the README table and the example tests.
public struct PassMetadata: Sendable {
  /// Stable kebab-case id: appears in output, configuration and annotations.
  public var id: String
  /// Short title stating the desired state: "Containers are not privileged".
  public var title: String
  public var severity: Severity
  /// Why the pass exists.
  public var rationale: String
  /// What the fix writes.
  public var fixDescription: String
  /// Which of its fixes are safe, unsafe or manual, and why (`explain` prints it).
  public var applicability: String
  public var references: [Reference]
  public var configKeys: [ConfigKey]
  public var enabledByDefault: Bool
  /// The Pod Security Standards checks the pass implements; `nil` for kubeharden's own passes
  /// (read-only root, resources), which run under every profile.
  public var podSecurity: PodSecurity?
  /// Examples that must trigger a finding, each with the expected fixed text.
  public var triggering: [PassExample]
  /// Examples that must not trigger a finding.
  public var nonTriggering: [PassExample]

  /// The pass's row in the README's table of passes.
  public var markdownRow: String {
    var labels: [String] = []
    for reference in references where !labels.contains(reference.shortLabel) { labels.append(reference.shortLabel) }
    let profile = podSecurity?.profile.rawValue ?? "-"
    return "| `\(id)` | \(title) | \(enabledByDefault ? "yes" : "no") | \(profile) | \(labels.joined(separator: ", ")) |"
  }

  /// The README's table of passes.
  public static func markdownTable(_ all: [PassMetadata]) -> String {
    (["| id | title | on by default | profile | references |", "| --- | --- | --- | --- | --- |"] + all.map(\.markdownRow))
      .joined(separator: "\n") + "\n"
  }

  public init(
    id: String, title: String, severity: Severity = .warning, rationale: String, fixDescription: String, applicability: String,
    references: [Reference], configKeys: [ConfigKey] = [], enabledByDefault: Bool = true, podSecurity: PodSecurity? = nil,
    triggering: [PassExample], nonTriggering: [PassExample]
  ) {
    self.id = id
    self.title = title
    self.severity = severity
    self.rationale = rationale
    self.fixDescription = fixDescription
    self.applicability = applicability
    self.references = references
    self.configKeys = configKeys
    self.enabledByDefault = enabledByDefault
    self.podSecurity = podSecurity
    self.triggering = triggering
    self.nonTriggering = nonTriggering
  }
}

extension PassMetadata {
  /// Everything `kubeharden explain` prints, from the metadata alone.
  public var explanation: String {
    var text = "\(id): \(title)\n"
    text += "Severity: \(severity.rawValue); on by default: \(enabledByDefault ? "yes" : "no")\n"
    text += "Pod Security profile: \(podSecurity.map { $0.label } ?? "none (kubeharden's own; runs under every profile)")\n\n"
    text += "Why:\n  \(rationale)\n\nWhat it writes:\n  \(fixDescription)\n"
    text += "\nSafe, unsafe and manual (fix applies safe fixes; --unsafe-fixes also the unsafe ones):\n  \(applicability)\n"
    if !configKeys.isEmpty {
      text += "\nConfiguration (.kubeharden.yaml key, flag):\n"
      for key in configKeys { text += "  \(key.key)\(key.flag.map { ", \($0)" } ?? ""): \(key.summary)\n" }
    }
    text += "\nExempt a workload: annotation kubeharden.io/skip: \"\(id)\" (or kubeharden.io/skip.<container>: \"\(id)\")\n"
    text += "\nReferences:\n"
    for reference in references { text += "  - \(reference.label) <\(reference.url)>\n" }
    if let example = triggering.first, let fixed = example.output {
      text += "\nExample input:\n" + Self.indent(example.input)
      text += (example.applicability == .unsafe ? "\nFixed (unsafe fix: only with --unsafe-fixes):\n" : "\nFixed:\n") + Self.indent(fixed)
    }
    return text
  }

  /// `docs/rules.md`: one section per pass, generated from metadata (`kubeharden rules --docs`).
  public static func rulesDocument(_ all: [PassMetadata]) -> String {
    var text = "# kubeharden passes\n\nGenerated by `kubeharden rules --docs` from the passes' metadata; do not edit by hand.\n"
    for meta in all {
      text += "\n## \(meta.id)\n\n```text\n" + meta.explanation + "```\n"
    }
    return text
  }

  static func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
  }
}
