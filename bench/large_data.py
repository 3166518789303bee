"""A PISTE-sized database under a bench instance, seeded through SQL.

The issue's data set: PISTE holds 11,000 applications and FranceConnect 1,600 services with
dozens of data providers. :data:`LARGE` puts 100 data providers (each a registry provider
owning a namespace of 10 scopes, and a data-provider client), 11,000 service clients,
100,000 DataPass habilitations and 1,000,000 access-token records on top of what the bench
instance already holds (``idp seed-demo``); the workloads' own clients, created afterwards
through ``idp clients create`` (:mod:`bench.fixtures`), then run among them.

Rows are shaped as the server writes them: each FranceConnect habilitation has its service
client (linked, with a FranceConnect authorization id), API habilitations ride on it through
``france_connect_authorization_id`` with ``with_france_connect`` as DataPass sends them, and a
client's ``allowed_scopes`` is what :func:`idp.registry.allowed.recompute` would store for
its habilitations. The access-token records are citizens' tokens (a ``jti``, its grant and
consent) and opaque references (a SHA-256), active, expired, past the purge's grace or
revoked, as a day of traffic leaves them; each citizen's token comes with the authorization
code it was issued from (900,000 codes, claimed, of the same grant), since the purge keeps
those as long. Citizens and their consents exist only because the records point at them.

Every client of the data set authenticates with one secret, hashed once as ``idp clients
create`` hashes a secret (the hash, not a KDF, is what a request checks): :func:`seed`
returns it, so that a test can authenticate as any of them.

Everything goes through SQLAlchemy Core on the real tables of :mod:`idp.models`, in one
transaction, on an engine of its own (no statement timeout: the server's 2 s would stop a
bulk statement on a busy machine): the registry, clients, habilitations, citizens and
consents are built in Python and inserted by ``executemany`` in batches; the million
access-token records and their codes are drawn by the database itself, each table in one
``INSERT ... SELECT`` (:meth:`_Seeder.access_tokens`), its secondary indexes built once
afterwards. PostgreSQL's statistics are then refreshed (``ANALYZE``), as autovacuum would
do within a minute of such a load. On the shared 2-core bench machine (load average 3 to
4): about 35 s on SQLite, 65 s on PostgreSQL.

``python -m bench.large_data INSTANCE [--database-url URL] [--scale 0.01]`` seeds an
instance by hand.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from idp import create_app
from idp.citizens.subject import identity_hash
from idp.clients.lookup import generate_client_id, generate_client_secret
from idp.datapass.events import FRANCE_CONNECT, WITH_FRANCE_CONNECT
from idp.models import (
    AccessTokenRecord,
    AuthorizationCode,
    Client,
    Consent,
    Habilitation,
    RegistryProvider,
    RegistryScope,
    User,
    utcnow,
)
from idp.models.clients import hash_secret
from idp.operations.purge import DEFAULT_GRACE
from idp.registry.allowed import REGISTRY_WRITE

BATCH = 20_000
#: Distinct token timelines (issued, expiring, revoked) the access-token records share, at most.
TIME_SLOTS = 50_000
#: Random bytes of a record's ``jti`` (32 hex characters, as long as our ``jti``), and of an
#: opaque token's reference (a SHA-256's 64).
JTI_BYTES = 16
OPAQUE_REFERENCE_BYTES = 32
#: An S256 ``code_challenge`` is 43 characters (RFC 7636 §4.2); 44 hex characters here.
CODE_CHALLENGE_BYTES = 22
#: Each service's site, ``https://<client_id>.demarches.example.fr``, and its callback.
SERVICE_DOMAIN = ".demarches.example.fr"
REDIRECT_PATH = "/oidc/callback"
#: The identity scopes a FranceConnect habilitation grants, the first few always.
IDENTITY_SCOPES = (
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
)
ALWAYS_GRANTED = 3
#: What a data provider's ten scopes are about; the first is its machine-usable one (public
#: aggregates, as ``dgfip_statistiques``), the others a citizen's data.
SCOPE_SUBJECTS = (
    ("statistiques", "Statistiques agrégées (sans donnée personnelle)", "Aggregated statistics"),
    ("statut", "Statut de l'usager", "Status"),
    ("droits", "Droits ouverts", "Open rights"),
    ("adresse", "Adresse déclarée", "Declared address"),
    ("quotient", "Quotient familial", "Family quotient"),
    ("paiements", "Derniers paiements", "Last payments"),
    ("situation", "Situation familiale", "Family situation"),
    ("revenus", "Revenus déclarés", "Declared income"),
    ("echelon", "Échelon", "Level"),
    ("historique", "Historique des périodes", "Period history"),
)
GIVEN_NAMES = ("Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Paul")
FAMILY_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy")
BIRTHPLACES = ("75056", "69123", "13055", "31555", "59350", "33063", "44109", "67482", "2A004")
FOREIGN_COUNTRIES = ("99134", "99109", "99127", "99350")
TOWNS = ("Montreuil", "Lyon", "Marseille", "Toulouse", "Lille", "Bordeaux", "Nantes", "Strasbourg")
ACRS = ("eidas1", "eidas1", "eidas1", "eidas2", "eidas3")


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind :func:`seed` adds."""

    data_providers: int = 100
    scopes_per_provider: int = 10
    services: int = 11_000
    #: FranceConnect habilitations (one per service) and API habilitations, together.
    habilitations: int = 100_000
    access_tokens: int = 1_000_000
    #: The citizens and consents the token records point at.
    citizens: int = 10_000
    consents_per_citizen: int = 3

    def scaled(self, factor: float) -> Sizes:
        """The same shape, ``factor`` times as many rows (at least one of each)."""
        kept = ("scopes_per_provider", "consents_per_citizen")
        return Sizes(
            **{
                f.name: getattr(self, f.name)
                if f.name in kept
                else max(1, round(getattr(self, f.name) * factor))
                for f in fields(self)
            }
        )

    @property
    def scopes(self) -> int:
        return self.data_providers * self.scopes_per_provider


LARGE = Sizes()


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` added, and how long it took."""

    sizes: Sizes
    seconds: float
    #: The secret every client of the data set authenticates with.
    client_secret: str
    #: The data providers' client ids, by namespace.
    data_providers: dict[str, str]
    #: The services' allowed scopes, by client id.
    allowed_scopes: dict[str, list[str]]


def instance_database_url(instance: str, database_url: str | None = None) -> str:
    """The SQLAlchemy URL of an instance's database, as the server derives it."""
    overrides = {"INSTANCE_PATH": instance, **({"DATABASE_URL": database_url} if database_url else {})}
    return create_app(overrides).config["DATABASE_URL"]


def seed(database_url: str, sizes: Sizes = LARGE, *, rng: random.Random | None = None) -> Seeded:
    """Add the data set to a migrated database that nothing else uses yet (PostgreSQL: the
    token tables' indexes are dropped during the load, which waits for every transaction
    that read those tables); returns what was added."""
    rng = rng or random.Random(2026)
    started = time.monotonic()
    secret = generate_client_secret()
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                # The indexes of a million random keys in memory (256 MB) rather than spilled
                # from SQLite's default 2 MB: 26 s instead of 44.
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
            data_providers, allowed = _Seeder(connection, sizes, rng, hash_secret(secret)).run()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return Seeded(sizes, time.monotonic() - started, secret, data_providers, allowed)


class random_hex(FunctionElement):
    """``random_hex(n)``: ``n`` random bytes in lowercase hex, drawn by the database per row."""

    type = sa.String()
    inherit_cache = True


@compiles(random_hex, "sqlite")
def _random_hex_sqlite(element, compiler, **kw) -> str:
    return f"lower(hex(randomblob({compiler.process(element.clauses, **kw)})))"


@compiles(random_hex, "postgresql")
def _random_hex_postgresql(element, compiler, **kw) -> str:
    """A SHA-256 (PostgreSQL 11+) of ``random()`` and the clock, cut to ``n`` bytes."""
    size = compiler.process(element.clauses, **kw)
    return f"substr(encode(sha256((random()::text || clock_timestamp()::text)::bytea), 'hex'), 1, 2 * {size})"


def _batches(rows: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Seeder:
    """One pass over the tables, in foreign-key order, in the caller's transaction."""

    def __init__(self, connection: sa.Connection, sizes: Sizes, rng: random.Random, secret_hash: str) -> None:
        self.connection = connection
        self.sizes = sizes
        self.rng = rng
        self.secret_hash = secret_hash
        self.now = utcnow()

    def insert(self, table: sa.Table, rows: Iterable[dict]) -> None:
        for batch in _batches(rows):
            self.connection.execute(sa.insert(table), batch)

    @contextmanager
    def indexes_built_after(self, table: sa.Table) -> Iterator[None]:
        """The table's secondary indexes dropped during a bulk insert, then created again:
        one sort over a million keys costs a fraction of a million B-tree insertions at
        random places (the unique constraints stay, checked row by row)."""
        indexes = list(table.indexes)
        for index in indexes:
            index.drop(self.connection)
        yield
        for index in indexes:
            index.create(self.connection)

    def next_value(self, column: sa.Column) -> int:
        return (self.connection.scalar(sa.select(sa.func.max(column))) or 0) + 1

    def run(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """The data providers' client ids by namespace, and the services' allowed scopes."""
        namespaces = self.registry()
        data_providers = self.data_providers(namespaces)
        grants = self.habilitations(namespaces)
        allowed = {client_id: scopes for client_id, (_, scopes) in grants.items()}
        self.services(grants)
        consents = self.citizens_and_consents(allowed)
        self.access_tokens(consents, namespaces)
        return data_providers, allowed

    def registry(self) -> list[str]:
        """100 data providers after the registry's own, each a namespace of 10 scopes."""
        first = self.next_value(RegistryProvider.position)
        namespaces = [f"fd{n:03d}" for n in range(1, self.sizes.data_providers + 1)]
        self.insert(
            RegistryProvider.__table__,
            (
                {
                    "slug": namespace,
                    "label": f"Fournisseur de données n° {index + 1}",
                    "label_en": f"Data provider no. {index + 1}",
                    "kind": "data",
                    "namespace": namespace,
                    "position": first + index,
                }
                for index, namespace in enumerate(namespaces)
            ),
        )
        first = self.next_value(RegistryScope.position)
        subjects = SCOPE_SUBJECTS[: self.sizes.scopes_per_provider]
        self.insert(
            RegistryScope.__table__,
            (
                {
                    "key": f"{namespace}_{subject}",
                    "provider_slug": namespace,
                    "label_fr": label_fr,
                    "label_en": label_en,
                    "description": None,
                    "group": None,
                    "claims": [],
                    "deprecated_since": None,
                    "legacy": False,
                    "machine": number == 0,
                    "position": first + index * len(subjects) + number,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
                for index, namespace in enumerate(namespaces)
                for number, (subject, label_fr, label_en) in enumerate(subjects)
            ),
        )
        return namespaces

    def client_row(self, client_id: str, name: str, role: str, **values) -> dict:
        """A client as ``idp clients create`` stores one (``create_client``'s defaults); the
        JSON columns it leaves unset (``jwks``, the identity provider filter) stay SQL NULL."""
        return {
            "client_id": client_id,
            "client_secret_hash": self.secret_hash,
            "name": name,
            "role": role,
            "namespace": None,
            "redirect_uris": [],
            "post_logout_redirect_uris": [],
            "token_endpoint_auth_method": "client_secret_basic",
            "id_token_signed_response_alg": "RS256",
            "sector_identifier": None,
            "eidas_level": "eidas1",
            "allowed_scopes": [],
            "operator_scope_override": [],
            "identity_provider_filter_excludes": False,
            "created_at": self.now,
            "updated_at": self.now,
            **values,
        }

    def data_providers(self, namespaces: list[str]) -> dict[str, str]:
        ids = {namespace: generate_client_id() for namespace in namespaces}
        self.insert(
            Client.__table__,
            (
                self.client_row(
                    client_id,
                    f"API {namespace.upper()}",
                    "data-provider",
                    namespace=namespace,
                    allowed_scopes=[REGISTRY_WRITE],
                    resource_uri=f"https://api.{namespace}.example.gouv.fr/",
                )
                for namespace, client_id in ids.items()
            ),
        )
        return ids

    def habilitations(self, namespaces: list[str]) -> dict[str, tuple[dict, list[str]]]:
        """One FranceConnect habilitation per service and API habilitations riding on them.

        Returns, per service client id, its FranceConnect habilitation and its allowed
        scopes: the approved scopes of its active habilitations, in habilitation order.
        """
        rng, sizes = self.rng, self.sizes
        first_id = self.next_value(Habilitation.id)
        services = [generate_client_id() for _ in range(sizes.services)]
        grants: dict[str, tuple[dict, list[str]]] = {}
        rows: list[dict] = []
        for number, client_id in enumerate(services):
            town = rng.choice(TOWNS)
            identity = list(IDENTITY_SCOPES[: ALWAYS_GRANTED + rng.randrange(len(IDENTITY_SCOPES) - 2)])
            row = self.habilitation_row(
                first_id + number,
                FRANCE_CONNECT,
                identity,
                client_id,
                intitule=f"Démarche en ligne n° {number + 1} de {town}",
                organization=f"COMMUNE DE {town.upper()} ({number + 1})",
                authorization_ids=[str(first_id + sizes.habilitations + number)],
                eidas_level=rng.choice(ACRS),
            )
            rows.append(row)
            grants[client_id] = (row, list(identity))
        for number in range(sizes.habilitations - sizes.services):
            client_id = services[number % len(services)]
            france_connect, allowed = grants[client_id]
            namespace = rng.choice(namespaces)
            count = rng.randint(2, min(5, sizes.scopes_per_provider))
            subjects = rng.sample(SCOPE_SUBJECTS[: sizes.scopes_per_provider], count)
            scopes = [f"{namespace}_{subject}" for subject, _, _ in subjects]
            state = rng.choices(("validated", "revoked", "archived"), weights=(85, 10, 5))[0]
            rows.append(
                self.habilitation_row(
                    first_id + sizes.services + number,
                    "api_particulier",
                    scopes,
                    client_id,
                    intitule=france_connect["intitule"],
                    organization=france_connect["organization_name"],
                    authorization_ids=[],
                    state=state,
                    modalities=[WITH_FRANCE_CONNECT],
                    france_connect_authorization_id=france_connect["authorization_ids"][0],
                )
            )
            if state == "validated":
                allowed.extend(key for key in scopes if key not in allowed)
        self.insert(Habilitation.__table__, rows)
        return grants

    def habilitation_row(
        self,
        habilitation_id: int,
        definition: str,
        scopes: list[str],
        client_id: str,
        *,
        intitule: str,
        organization: str,
        authorization_ids: list[str],
        state: str = "validated",
        modalities: list[str] | None = None,
        france_connect_authorization_id: str | None = None,
        eidas_level: str | None = None,
    ) -> dict:
        """A habilitation as the last DataPass delivery left it (:mod:`idp.datapass.apply`)."""
        fired = self.now - timedelta(days=self.rng.randrange(1, 900))
        return {
            "id": habilitation_id,
            "public_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "definition": definition,
            "state": state,
            "intitule": intitule,
            "organization_name": organization,
            "organization_siret": f"{self.rng.randrange(10**13, 10**14)}",
            "eidas_level": eidas_level,
            "scopes": scopes,
            "approved_scopes": scopes,
            "authorization_ids": authorization_ids,
            "modalities": modalities or [],
            "france_connect_authorization_id": france_connect_authorization_id,
            "active": state == "validated",
            "last_fired_at": int(fired.timestamp()),
            "client_id": client_id,
            "created_at": fired,
            "updated_at": fired,
        }

    def services(self, grants: dict[str, tuple[dict, list[str]]]) -> None:
        def rows() -> Iterator[dict]:
            for client_id, (france_connect, allowed) in grants.items():
                host = f"https://{client_id}{SERVICE_DOMAIN}"
                yield self.client_row(
                    client_id,
                    france_connect["intitule"],
                    "service-provider",
                    redirect_uris=[host + REDIRECT_PATH],
                    post_logout_redirect_uris=[f"{host}/"],
                    eidas_level=france_connect["eidas_level"],
                    allowed_scopes=allowed,
                )

        self.insert(Client.__table__, rows())

    def citizens_and_consents(self, allowed: dict[str, list[str]]) -> list[tuple[int, int, str, str]]:
        """Citizens known by their pivot identity, each with consents to a few services;
        returns each consent as (id, user id, client id, scope)."""
        rng, first_user = self.rng, self.next_value(User.id)
        seen: set[str] = set()
        self.insert(User.__table__, (self.citizen(rng, seen) for _ in range(self.sizes.citizens)))
        user_ids = list(
            self.connection.scalars(sa.select(User.id).where(User.id >= first_user).order_by(User.id))
        )
        services = list(allowed)
        first_consent = self.next_value(Consent.id)
        wanted = []
        for user_id in user_ids:
            for client_id in rng.sample(services, min(len(services), self.sizes.consents_per_citizen)):
                scopes = allowed[client_id]
                granted = scopes[:ALWAYS_GRANTED] + rng.sample(
                    scopes[ALWAYS_GRANTED:], min(2, len(scopes) - 3)
                )
                wanted.append((user_id, client_id, " ".join(sorted(granted))))
        self.insert(
            Consent.__table__,
            (
                {
                    "user_id": user_id,
                    "client_id": client_id,
                    "scope": scope,
                    "granted_at": self.now - timedelta(days=rng.randrange(1, 400)),
                    "last_issued_at": self.now - timedelta(hours=rng.randrange(1, 48)),
                    "revoked_at": None,
                }
                for user_id, client_id, scope in wanted
            ),
        )
        consent_ids = self.connection.scalars(
            sa.select(Consent.id).where(Consent.id >= first_consent).order_by(Consent.id)
        )
        return [(consent_id, *row) for consent_id, row in zip(consent_ids, wanted, strict=True)]

    def citizen(self, rng: random.Random, seen: set[str]) -> dict:
        """A citizen as an identity provider asserted them; ``identity_hash`` is unique, so a
        pivot identity already drawn is drawn again."""
        while True:
            abroad = rng.random() < 0.1
            identity = {
                "given_name": f"{rng.choice(GIVEN_NAMES)} {rng.choice(GIVEN_NAMES)}",
                "family_name": rng.choice(FAMILY_NAMES),
                "birthdate": (date(1940, 1, 1) + timedelta(days=rng.randrange(65 * 365))).isoformat(),
                "gender": rng.choice(("female", "male")),
                "birthplace": None if abroad else rng.choice(BIRTHPLACES),
                "birthcountry": rng.choice(FOREIGN_COUNTRIES) if abroad else "99100",
            }
            hashed = identity_hash(identity)
            if hashed not in seen:
                seen.add(hashed)
                break
        return {
            **identity,
            "identity_hash": hashed,
            "username": None,
            "password_hash": None,
            "preferred_username": None,
            "email": None,
            "created_at": self.now - timedelta(days=rng.randrange(1, 900)),
        }

    def access_tokens(self, consents: list[tuple[int, int, str, str]], namespaces: list[str]) -> None:
        """Citizens' JWT records (9 in 10) and client_credentials opaque references: 5 %
        active, 5 % revoked, 80 % expired within the purge's grace, 10 % past it; stored
        oldest first, as the server stores them (the rows come out in the order of the
        numbers: SQLite's nested loops and PostgreSQL's hash joins keep it, no sort needed).

        A million rows built in Python and bound one by one cost a minute; here the database
        draws them: ``INSERT ... SELECT`` over a numbers CTE, each row taking a consent of the
        data set (its citizen, client and scope), random references (:class:`random_hex`),
        and one of :data:`TIME_SLOTS` timelines, which SQLAlchemy stored through the models'
        own types (so the timestamps are written as the server writes them).
        """
        count = self.sizes.access_tokens
        per_slot = max(1, count // TIME_SLOTS)
        slots = self.time_slots(namespaces, -(-count // per_slot))
        first_consent = consents[0][0]
        assert consents[-1][0] == first_consent + len(consents) - 1, "consent ids are contiguous"
        numbers = sa.select(sa.literal(0).label("n")).cte("numbers", recursive=True)
        n = numbers.c.n
        numbers = numbers.union_all(sa.select(n + 1).where(n < count - 1))
        n = numbers.c.n
        citizen = Consent.id.is_not(None)
        rows = (
            sa.select(
                sa.case((citizen, random_hex(JTI_BYTES)), else_=random_hex(OPAQUE_REFERENCE_BYTES)),
                sa.func.coalesce(Consent.client_id, slots.c.client_id),
                Consent.user_id,
                sa.case((citizen, random_hex(JTI_BYTES))),
                Consent.id,
                sa.func.coalesce(Consent.scope, slots.c.scope),
                sa.case((citizen, slots.c.acr)),
                sa.case((citizen, slots.c.auth_time)),
                slots.c.issued_at,
                slots.c.expires_at,
                slots.c.revoked_at,
            )
            .select_from(numbers)
            .join(slots, slots.c.slot == n // per_slot)
            .outerjoin(Consent, sa.and_(n % 10 != 0, Consent.id == first_consent + n % len(consents)))
        )
        columns = ("jti", "client_id", "user_id", "grant_id", "consent_id", "scope", "acr", "auth_time")
        columns += ("issued_at", "expires_at", "revoked_at")
        with self.indexes_built_after(AccessTokenRecord.__table__):
            self.connection.execute(sa.insert(AccessTokenRecord.__table__).from_select(columns, rows))
        with self.indexes_built_after(AuthorizationCode.__table__):
            self.authorization_codes(slots)
        slots.drop(self.connection)

    def authorization_codes(self, slots: sa.Table) -> None:
        """The code each citizen's token was issued from (RFC 6749 §4.1), of the same grant,
        client, citizen, consent and scope, claimed when the token was issued; its sign-in is
        a random id (the sign-ins themselves are not part of the data set)."""
        tokens = AccessTokenRecord.__table__
        rows = (
            sa.select(
                random_hex(OPAQUE_REFERENCE_BYTES),
                tokens.c.client_id,
                tokens.c.user_id,
                random_hex(OPAQUE_REFERENCE_BYTES),
                tokens.c.consent_id,
                tokens.c.grant_id,
                "https://" + tokens.c.client_id + SERVICE_DOMAIN + REDIRECT_PATH,
                tokens.c.scope,
                random_hex(JTI_BYTES),
                random_hex(CODE_CHALLENGE_BYTES),
                sa.literal("S256"),
                tokens.c.auth_time,
                tokens.c.acr,
                sa.literal([], AuthorizationCode.amr.type),
                slots.c.code_created_at,
                slots.c.code_expires_at,
                tokens.c.issued_at,
            )
            .join_from(tokens, slots, slots.c.issued_at == tokens.c.issued_at)
            .where(tokens.c.grant_id.is_not(None))
        )
        columns = ("code_hash", "client_id", "user_id", "session_id", "consent_id", "grant_id")
        columns += ("redirect_uri", "scope", "nonce", "code_challenge", "code_challenge_method")
        columns += ("auth_time", "acr", "amr", "created_at", "expires_at", "used_at")
        self.connection.execute(sa.insert(AuthorizationCode.__table__).from_select(columns, rows))

    def time_slots(self, namespaces: list[str], count: int) -> sa.Table:
        """A temporary table of ``count`` timelines of a token and its code, oldest first (and,
        for an opaque reference, a service and one of its machine scopes), typed as the tables."""
        rng, now, lifetime = self.rng, self.now, timedelta(seconds=60)
        grace = DEFAULT_GRACE.total_seconds()
        tokens, codes = AccessTokenRecord.__table__.c, AuthorizationCode.__table__.c
        slots = sa.Table(
            "large_data_time_slots",
            sa.MetaData(),
            sa.Column("slot", sa.Integer, primary_key=True),
            *(
                sa.Column(name, tokens[name].type, index=name == "issued_at")
                for name in (
                    "client_id",
                    "scope",
                    "acr",
                    "auth_time",
                    "issued_at",
                    "expires_at",
                    "revoked_at",
                )
            ),
            sa.Column("code_created_at", codes.created_at.type),
            sa.Column("code_expires_at", codes.expires_at.type),
            prefixes=["TEMPORARY"],
        )
        slots.create(self.connection)
        services = list(
            self.connection.scalars(sa.select(Client.client_id).where(Client.role == "service-provider"))
        )

        def issued() -> datetime:
            status = rng.random()
            if status < 0.05:
                return now - timedelta(seconds=rng.uniform(0, 50))
            if status < 0.9:
                return now - timedelta(seconds=rng.uniform(60, grace))
            return now - timedelta(seconds=rng.uniform(grace + 60, 2 * grace))

        def rows() -> Iterator[dict]:
            times = set()  # each timeline its own issuance instant: codes find theirs by it
            while len(times) < count:
                times.add(issued())
            for slot, issued_at in enumerate(sorted(times)):
                code_created_at = issued_at - timedelta(seconds=rng.uniform(1, 5))
                yield {
                    "slot": slot,
                    "client_id": rng.choice(services),
                    "scope": f"{rng.choice(namespaces)}_{SCOPE_SUBJECTS[0][0]}",
                    "acr": rng.choice(ACRS),
                    "auth_time": code_created_at - timedelta(seconds=rng.uniform(1, 600)),
                    "issued_at": issued_at,
                    "expires_at": issued_at + lifetime,
                    "code_created_at": code_created_at,
                    "code_expires_at": code_created_at + lifetime,
                    "revoked_at": issued_at + timedelta(seconds=rng.uniform(1, 50))
                    if rng.random() < 0.05
                    else None,
                }

        self.insert(slots, rows())
        return slots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.large_data", description=__doc__.split("\n\n")[0])
    parser.add_argument("instance", help="the instance folder (IDP_INSTANCE_PATH) of a migrated database")
    parser.add_argument("--database-url", help="IDP_DATABASE_URL, when it is not the embedded SQLite")
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the data set")
    args = parser.parse_args(argv)
    seeded = seed(instance_database_url(args.instance, args.database_url), LARGE.scaled(args.scale))
    print(f"seeded {seeded.sizes} in {seeded.seconds:.1f} s")


if __name__ == "__main__":
    main()
