import YAMLSource

/// Pods set only namespaced sysctls the Baseline profile calls safe.
///
/// Finding: a `spec.securityContext.sysctls[*].name` outside the `latest` (1.37) safe set:
/// kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
/// net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start (1.0),
/// net.ipv4.ip_local_reserved_ports (1.27), net.ipv4.tcp_keepalive_time, tcp_fin_timeout,
/// tcp_keepalive_intvl, tcp_keepalive_probes (1.29), tcp_rmem, tcp_wmem (1.32),
/// tcp_slow_start_after_idle, tcp_notsent_lowat (1.37).
/// Fix: none (manual).
/// Source: kubernetes/pod-security-admission `policy/check_sysctls.go`.
struct Sysctls: Pass {
  static let allowed: Set<String> = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
  ]

  static let metadata = PassMetadata(
    id: "sysctls", title: "Pods set only safe sysctls",
    rationale: """
      A sysctl outside the safe set can change kernel settings for every pod on the node (or is not \
      isolated by the kernel's namespaces). The Baseline profile allows only the namespaced, safe ones.
      """,
    fixDescription: "Nothing (manual): the finding names the sysctl.",
    applicability: "Manual only: the application may depend on the kernel setting; tune the node or drop it.",
    references: [.owasp("K01"), .pss("Sysctls", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["sysctls"]),
    triggering: [
      .unchanged(
        PassExample.pod(
          "securityContext:\n  sysctls:\n  - name: net.core.somaxconn\n    value: \"1024\"\n  - name: net.ipv4.tcp_syncookies\n    value: \"1\"\ncontainers:\n- name: web"
        ))
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        PassExample.pod(
          "securityContext:\n  sysctls: [{name: net.ipv4.tcp_notsent_lowat, value: \"16384\"}, {name: net.ipv4.ip_local_port_range, value: \"1024 65535\"}]\ncontainers:\n- name: web"
        )),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.sysctls) else { return [] }
    return context.items(pod.spec, ["securityContext", "sysctls"]).compactMap { sysctl in
      guard context.document.isMapping(sysctl) else { return nil }
      let name = context.string(sysctl, ["name"]) ?? ""
      guard !Self.allowed.contains(name) else { return nil }
      return .manual(
        "\(pod.label) sets sysctl \(name.isEmpty ? "(no name)" : name), outside the safe set (Pod Security baseline: sysctls)",
        at: context.locate(sysctl, ["name"]),
        remedy:
          "remove the sysctl, or set it on the nodes (a node tuning DaemonSet or the kubelet's allowed-unsafe-sysctls) for the pods that need it"
      )
    }
  }
}
