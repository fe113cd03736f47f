"""A thin client over confluent-kafka's SchemaRegistryClient, with auth, timeouts and errors.

Most calls go through ``confluent_kafka.schema_registry.SchemaRegistryClient`` (register,
lookup, versions, compatibility config). Three calls use plain HTTP (urllib), each because
the confluent client cannot express it:

- the reachability probe, so an unreachable registry fails once, fast, instead of after the
  client's retries with backoff;
- ``GET /config/{subject}?defaultToGlobal=true``: the client's ``get_compatibility`` does not
  send ``defaultToGlobal``, and Apicurio answers ``NONE`` for a subject without its own level
  where the effective level is the global one;
- ``POST /compatibility/...?verbose=true``: the client's ``test_compatibility`` returns only
  a bool and drops the registry's messages (Confluent's registry gives reasons; Apicurio
  gives none).

``mock://NAME`` selects confluent-kafka's in-process ``MockSchemaRegistryClient``, the
embedded stand-in ``herald demo`` runs on: it keeps schemas for the life of the process and
checks no compatibility, so levels are only remembered, never enforced.

Secrets come from the environment (names configurable in ``[registry]``), go only into
request headers, and never into messages: every URL shown is redacted.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from confluent_kafka.schema_registry import (
    Metadata,
    RuleSet,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)

from codegen.catalog import RegistryForm
from codegen.config import RegistryConfig
from codegen.errors import ConfigError, RegistryError, redact_url
from codegen.registry.contracts import Contract
from publisher.urls import RegistryURL, URLError, parse_url, redact

T = TypeVar("T")

#: Registry error codes herald tells apart (Confluent's numbering; Apicurio reuses it).
SUBJECT_NOT_FOUND: Final = 40401
VERSION_NOT_FOUND: Final = 40402
SCHEMA_NOT_FOUND: Final = 40403
#: What confluent-kafka's in-process (mock://) registry answers a lookup that matches nothing.
EMBEDDED_NOT_FOUND: Final = 40400
SUBJECT_LEVEL_NOT_CONFIGURED: Final = 40408
HTTP_UNAUTHORIZED: Final = 401
HTTP_FORBIDDEN: Final = 403
HTTP_CONFLICT: Final = 409
HTTP_UNPROCESSABLE: Final = 422
HTTP_REDIRECTS_FROM: Final = 300
HTTP_REDIRECTS_TO: Final = 400
_CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
#: Apicurio's Confluent-compatible API lives under this path; its subject list is capped.
APICURIO_CCOMPAT: Final = "/apis/ccompat/"
APICURIO_SUBJECT_CAP: Final = 1000
APICURIO_PAGE: Final = 500


@dataclass(frozen=True, slots=True)
class Credentials:
    """How to authenticate: basic user/password, a bearer token, or nothing."""

    username: str | None = None
    password: str | None = None
    token: str | None = None

    def header(self) -> dict[str, str]:
        """The Authorization header for plain HTTP calls (never logged)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        return {}

    def __repr__(self) -> str:
        kind = "token" if self.token else "basic" if self.username else "none"
        return f"Credentials(<{kind}>)"


def credentials_from_env(config: RegistryConfig, environ: Mapping[str, str]) -> Credentials:
    """Read credentials from the environment variables the config names."""
    token = environ.get(config.token_env) or None
    user = environ.get(config.username_env) or None
    password = environ.get(config.password_env)
    if token and user:
        raise ConfigError(
            f"both {config.token_env} and {config.username_env} are set; "
            "use a bearer token or basic auth, not both"
        )
    if password and not user:
        raise ConfigError(f"{config.password_env} is set without {config.username_env}")
    return Credentials(username=user, password=password, token=token)


@dataclass(frozen=True, slots=True)
class RegisteredVersion:
    """One registered version of a subject, as the registry returns it."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    text: str
    references: tuple[tuple[str, str, int], ...] = ()
    #: The version's data contract as the registry returned it (REST form), if any.
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CompatibilityAnswer:
    """The registry's verdict on one version, with its reasons when it gives any."""

    compatible: bool
    messages: tuple[str, ...] = ()


def _describe_transport_error(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.timeout | TimeoutError):
        return "timed out"
    return str(reason) or type(reason).__name__


EMBEDDED_SCHEME = "mock://"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the configured scheme, host and port (credentials go along)."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Refuse a redirect to another origin instead of sending the credentials there."""
        origin = self.registry.origin
        if origin is None or not origin.same_origin(newurl):
            fp.close()
            raise RegistryError(
                f"the Schema Registry at {self.registry.display_url} redirected "
                f"{redact(req.full_url)} to {redact(newurl)} (HTTP {code}), another host; "
                "herald sends credentials only to the configured host, so it stopped. Point "
                "--registry (or SCHEMA_REGISTRY_URL) at the final URL"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Registry:
    """The registry operations herald needs, with errors that say what to do."""

    def __init__(
        self,
        config: RegistryConfig,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if not config.url:
            raise ConfigError(
                "no Schema Registry URL: pass --registry URL, set SCHEMA_REGISTRY_URL, "
                "or set [registry] url in herald.toml"
            )
        #: True for the in-process mock registry, which has no HTTP API and no levels.
        self.embedded = config.url.startswith(EMBEDDED_SCHEME)
        self._embedded_levels: dict[str, str] = {}
        self.config = config
        if self.embedded:
            self.origin: RegistryURL | None = None
            self.url, url_user, url_password = config.url.rstrip("/"), None, None
            self.display_url = config.url
        else:
            try:
                parsed = parse_url(config.url)
            except URLError as exc:
                raise ConfigError(
                    f"registry {exc} (or {EMBEDDED_SCHEME} for the in-process stand-in); check "
                    "--registry, SCHEMA_REGISTRY_URL or [registry] url"
                ) from None
            self.origin = parsed
            self.url, url_user, url_password = parsed.url, parsed.username, parsed.password
            #: What messages show: the URL without credentials.
            self.display_url = parsed.display
        creds = credentials_from_env(config, os.environ if environ is None else environ)
        if creds.username is None and creds.token is None and url_user is not None:
            creds = Credentials(username=url_user, password=url_password)
        self.credentials = creds
        self._ssl = self._ssl_context()
        self._opener = urllib.request.build_opener(
            _SameOriginRedirects(self), urllib.request.HTTPSHandler(context=self._ssl)
        )
        conf = self._client_conf()
        self.client = SchemaRegistryClient.new_client(conf)

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self.client.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- setup ----------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext | None:
        ca = self.config.ca_file
        if ca is None:
            return None
        if not ca.is_file():
            raise ConfigError(f"[registry] ca_file {str(ca)!r} does not exist")
        return ssl.create_default_context(cafile=str(ca))

    def _client_conf(self) -> dict[str, Any]:
        conf: dict[str, Any] = {
            "url": self.url,
            "timeout": self.config.timeout_s,
            # One retry at most: CI should fail fast, and the probe already ran.
            "max.retries": 1,
            "retries.wait.ms": 200,
            "retries.max.wait.ms": 1000,
        }
        if self.config.ca_file is not None:
            conf["ssl.ca.location"] = str(self.config.ca_file)
        creds = self.credentials
        if creds.token:
            token = creds.token
            # A CUSTOM provider sends a plain bearer token; STATIC_TOKEN would also demand
            # Confluent Cloud's logical cluster id.
            conf["bearer.auth.credentials.source"] = "CUSTOM"
            conf["bearer.auth.custom.provider.function"] = lambda _conf: {
                "bearer.auth.token": token,
                "bearer.auth.logical.cluster": os.environ.get(
                    "HERALD_REGISTRY_LOGICAL_CLUSTER", ""
                ),
            }
            conf["bearer.auth.custom.provider.config"] = {}
        elif creds.username is not None:
            conf["basic.auth.user.info"] = f"{creds.username}:{creds.password or ''}"
        return conf

    # -- plain HTTP -----------------------------------------------------------------------
    def _http(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._http_absolute(method, self.url + path, body)

    def _http_absolute(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        accept = _CONTENT_TYPE if url.startswith(self.url) else "application/json"
        headers = {"Accept": accept, **self.credentials.header()}
        if data is not None:
            headers["Content-Type"] = _CONTENT_TYPE
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.config.timeout_s) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            self._raise_http(exc.code, exc.read().decode("utf-8", "replace"), url)
        except (urllib.error.URLError, OSError) as exc:
            raise self.unreachable(exc) from None
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            raise self.not_the_api(f"{method} {redact_url(url)}", payload) from None

    def not_the_api(self, what: str, payload: bytes | str) -> RegistryError:
        """The error for an answer that is not the registry API's JSON (an HTML page, ...)."""
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        preview = " ".join(text.split())[:80]
        return RegistryError(
            f"{what}: the Schema Registry at {self.display_url} answered with something that "
            f"is not its API's JSON ({preview!r}); check that the URL is the registry's API "
            "(for Apicurio it ends in /apis/ccompat/v7)"
        )

    def _object(self, doc: Any, what: str) -> dict[str, Any]:
        """``doc`` when it is a JSON object, else the error naming the call."""
        if not isinstance(doc, dict):
            raise self.not_the_api(what, json.dumps(doc)[:200])
        return doc

    def _raise_http(self, status: int, body: str, url: str) -> None:
        if status in (HTTP_UNAUTHORIZED, HTTP_FORBIDDEN):
            raise self.auth_refused(status)
        try:
            doc = json.loads(body)
            code = int(doc.get("error_code", status))
            message = str(doc.get("message", body))
        except (ValueError, AttributeError):
            code, message = status, body
        raise RegistryCallError(status, code, message, redact_url(url))

    def unreachable(self, exc: BaseException) -> RegistryError:
        """The error for a registry that does not answer."""
        return RegistryError(
            f"cannot reach the Schema Registry at {self.display_url}: "
            f"{_describe_transport_error(exc)}; check --registry, SCHEMA_REGISTRY_URL or "
            "[registry] url, and that the registry is running"
        )

    def auth_refused(self, status: int) -> RegistryError:
        """The error for credentials the registry rejects (the secrets are never shown)."""
        return RegistryError(
            f"the Schema Registry at {self.display_url} refused the credentials (HTTP {status}); "
            f"set {self.config.username_env}/{self.config.password_env} or "
            f"{self.config.token_env} to valid credentials"
        )

    def ping(self) -> None:
        """Fail fast, once, if the registry is unreachable or refuses the credentials."""
        if not self.embedded:
            self._http("GET", "/config")

    def effective_level(self, subject: str) -> str:
        """The subject's compatibility level: its own, else the global one."""
        if self.embedded:
            return self._embedded_levels.get(subject, "BACKWARD")
        quoted = urllib.parse.quote(subject, safe="")
        doc = self._object(
            self._http("GET", f"/config/{quoted}?defaultToGlobal=true"), f"level of {subject}"
        )
        return str(doc.get("compatibilityLevel") or doc.get("compatibility") or "BACKWARD")

    def test(self, subject: str, form: RegistryForm, version: int | str) -> CompatibilityAnswer:
        """Ask whether ``form`` is compatible with one version, keeping the registry's reasons."""
        quoted = urllib.parse.quote(subject, safe="")
        body = _request_body(form)
        doc = self._object(
            self._http(
                "POST", f"/compatibility/subjects/{quoted}/versions/{version}?verbose=true", body
            ),
            f"compatibility of {subject}",
        )
        messages = doc.get("messages") or []
        return CompatibilityAnswer(bool(doc.get("is_compatible")), tuple(str(m) for m in messages))

    # -- through the confluent client -----------------------------------------------------
    def _call(self, what: str, func: Callable[[], T]) -> T:
        try:
            return func()
        except SchemaRegistryError as exc:
            if exc.http_status_code in (HTTP_UNAUTHORIZED, HTTP_FORBIDDEN):
                raise self.auth_refused(exc.http_status_code) from None
            if HTTP_REDIRECTS_FROM <= exc.http_status_code < HTTP_REDIRECTS_TO:
                raise RegistryError(
                    f"{what}: the Schema Registry at {self.display_url} answered with a "
                    f"redirect (HTTP {exc.http_status_code}), which herald does not follow; "
                    "point --registry at the URL it redirects to"
                ) from None
            raise RegistryCallError(
                exc.http_status_code, exc.error_code, exc.error_message, what
            ) from None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # The client parses JSON and reads fields: an HTML page or a list lands here.
            raise self.not_the_api(what, str(exc)) from None
        except Exception as exc:  # httpx transport errors: connect, timeout, TLS
            if type(exc).__module__.startswith(("httpx", "httpcore", "ssl", "socket")):
                raise self.unreachable(exc) from None
            raise

    def global_level(self) -> str:
        """The registry-wide compatibility level."""
        return self._call("get global level", lambda: _text(self.client.get_compatibility()))

    def set_level(self, subject: str, level: str) -> None:
        """Set a subject's own compatibility level."""
        if self.embedded:
            self._embedded_levels[subject] = level
            return
        self._call(f"set level of {subject}", lambda: self.client.set_compatibility(subject, level))

    def subjects(self) -> list[str]:
        """Every subject in the registry."""
        found = self._call("list subjects", lambda: _texts(self.client.get_subjects()))
        if len(found) >= APICURIO_SUBJECT_CAP and APICURIO_CCOMPAT in self.url:
            return self._apicurio_subjects()
        return found

    def _apicurio_subjects(self) -> list[str]:
        """Page through Apicurio's own search API for every artifact of the default group.

        Apicurio's ccompat ``GET /subjects`` stops at 1000 subjects and ignores paging and
        ``subjectPrefix``; its core API pages.
        """
        core = self.url.split(APICURIO_CCOMPAT, 1)[0] + "/apis/registry/v3/search/artifacts"
        names: list[str] = []
        offset = 0
        for _ in range(10_000):  # bounded: 10 million artifacts at most
            query = f"?offset={offset}&limit={APICURIO_PAGE}&orderby=name&order=asc"
            doc = self._object(self._http_absolute("GET", core + query), "list subjects")
            try:
                page = doc.get("artifacts") or []
                names.extend(
                    str(a["artifactId"]) for a in page if a.get("groupId") in (None, "default")
                )
                count = int(doc.get("count", 0))
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                raise self.not_the_api("list subjects", str(exc)) from None
            offset += len(page)
            if not page or offset >= count:
                break
        return names

    def versions(self, subject: str) -> list[int] | None:
        """The subject's versions, oldest first, or None when the subject does not exist."""
        try:
            found = self._call(
                f"versions of {subject}",
                lambda: sorted(_number(v) for v in _items(self.client.get_versions(subject))),
            )
        except RegistryCallError as exc:
            if exc.code == SUBJECT_NOT_FOUND:
                return None
            raise
        # No versions is no subject (confluent-kafka's mock answers [] where a registry 404s).
        return found or None

    def get_version(
        self, subject: str, version: int | Literal["latest"] = "latest"
    ) -> RegisteredVersion:
        """One registered version with its schema text and references."""
        return self._call(
            f"version {version} of {subject}",
            lambda: _registered(subject, self.client.get_version(subject, version)),
        )

    def contract_of(
        self, subject: str, version: int | Literal["latest"] = "latest"
    ) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
        """(version, metadata, ruleSet) the registry itself holds for a version.

        Read over plain HTTP: the client's answers (and its cache) carry back the contract a
        lookup or register sent, whether or not the registry kept it.
        """
        if self.embedded:
            held = self.get_version(subject, version)
            return held.version, held.metadata, held.rule_set
        quoted = urllib.parse.quote(subject, safe="")
        doc = self._object(
            self._http("GET", f"/subjects/{quoted}/versions/{version}"),
            f"version {version} of {subject}",
        )
        metadata, rule_set = doc.get("metadata"), doc.get("ruleSet")
        return (
            _number(doc.get("version")),
            metadata if isinstance(metadata, dict) else None,
            rule_set if isinstance(rule_set, dict) else None,
        )

    def lookup(
        self, subject: str, form: RegistryForm, contract: Contract | None = None
    ) -> RegisteredVersion | None:
        """The version under ``subject`` whose schema (and contract) equals ``form``, or None."""
        schema = _schema(form, contract)
        normalize = self.config.normalize
        try:
            return self._call(
                f"look up {subject}",
                lambda: _registered(
                    subject,
                    self.client.lookup_schema(subject, schema, normalize_schemas=normalize),
                ),
            )
        except RegistryCallError as exc:
            if exc.code in (SUBJECT_NOT_FOUND, SCHEMA_NOT_FOUND) or (
                self.embedded and exc.code == EMBEDDED_NOT_FOUND
            ):
                return None
            raise

    def register(self, subject: str, form: RegistryForm, contract: Contract | None = None) -> int:
        """Register ``form`` (with its data contract) under ``subject``; return its schema id."""
        schema = _schema(form, contract)
        normalize = self.config.normalize
        return self._call(
            f"register {subject}",
            lambda: _number(
                self.client.register_schema(subject, schema, normalize_schemas=normalize)
            ),
        )


class RegistryCallError(RegistryError):
    """The registry answered a call with an error status (kept apart so callers can branch)."""

    def __init__(self, status: int, code: int, message: str, what: str) -> None:
        super().__init__(f"{what}: the registry answered HTTP {status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.registry_message = message

    @property
    def refused(self) -> bool:
        """True when the registry refused a schema as incompatible or invalid."""
        return self.status in (HTTP_CONFLICT, HTTP_UNPROCESSABLE)


def _text(value: Any) -> str:
    """A string the API returns; anything else is a malformed answer."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _items(value: Any) -> list[Any]:
    """A JSON list the API returns; anything else is a malformed answer."""
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _texts(value: Any) -> list[str]:
    return [_text(v) for v in _items(value)]


def _number(value: Any) -> int:
    """An integer the API returns (ids, versions); anything else is a malformed answer."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return int(value)


def _references(form: RegistryForm) -> list[SchemaReference]:
    refs = []
    for ref in form.references:
        if ref.version is None:
            raise RegistryError(
                f"reference {ref.name!r} (subject {ref.subject!r}) has no registered version yet; "
                "register the referenced subject first"
            )
        refs.append(SchemaReference(ref.name, ref.subject, ref.version))
    return refs


def _schema(form: RegistryForm, contract: Contract | None = None) -> Schema:
    if contract is None:
        return Schema(form.text, form.schema_type, _references(form))
    metadata = Metadata.from_dict(contract.metadata) if contract.metadata else None
    rule_set = RuleSet.from_dict(contract.rule_set) if contract.rule_set else None
    return Schema(form.text, form.schema_type, _references(form), metadata, rule_set)


def _request_body(form: RegistryForm) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": form.text, "schemaType": form.schema_type}
    refs = _references(form)
    if refs:
        body["references"] = [
            {"name": r.name, "subject": r.subject, "version": r.version} for r in refs
        ]
    return body


def _registered(subject: str, reg: Any) -> RegisteredVersion:
    schema = reg.schema
    refs: Sequence[Any] = schema.references or []
    return RegisteredVersion(
        subject=subject,
        version=_number(reg.version),
        schema_id=_number(reg.schema_id),
        schema_type=str(schema.schema_type or "AVRO"),
        text=str(schema.schema_str),
        references=tuple((str(r.name), str(r.subject), int(r.version)) for r in refs),
        metadata=schema.metadata.to_dict() if schema.metadata is not None else None,
        rule_set=schema.rule_set.to_dict() if schema.rule_set is not None else None,
    )
