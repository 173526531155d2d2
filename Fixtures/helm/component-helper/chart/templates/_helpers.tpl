{{/* The controller container's security context. */}}
{{- define "api.containerSecurityContext" -}}
{{- toYaml .Values.controller.containerSecurityContext -}}
{{- end -}}
