import sqlalchemy as sa

from tests.support.postgres import PostgresServer


def test_postgres_server_accepts_connections(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("select version()")).scalar_one()
    engine.dispose()
    assert "PostgreSQL" in version
