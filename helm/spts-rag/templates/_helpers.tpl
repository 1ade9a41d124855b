{{/* Names and labels shared by the templates. */}}

{{- define "spts-rag.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spts-rag.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "spts-rag.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spts-rag.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spts-rag.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "spts-rag.labels" -}}
helm.sh/chart: {{ include "spts-rag.chart" . }}
{{ include "spts-rag.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "spts-rag.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spts-rag.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret that holds the API key (given, or generated when none is given), or "" when
     apiKey.required is false and no key is given. */}}
{{- define "spts-rag.apiKeySecret" -}}
{{- if .Values.apiKey.existingSecret }}
{{- .Values.apiKey.existingSecret }}
{{- else if or .Values.apiKey.value .Values.apiKey.required }}
{{- include "spts-rag.fullname" . }}
{{- end }}
{{- end }}

{{- define "spts-rag.modelsClaim" -}}
{{- default (printf "%s-models" (include "spts-rag.fullname" .)) .Values.persistence.models.existingClaim }}
{{- end }}
