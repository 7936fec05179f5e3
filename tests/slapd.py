"""A real OpenLDAP server (Debian's slapd) for the directory log-in tests, with its own data.

``running_slapd(folder)`` writes a slapd.conf (mdb backend, the core/cosine/inetorgperson/nis
schemas, the memberof overlay so that entries carry ``memberOf``), starts slapd on a free
127.0.0.1 port, loads ``DATA`` with ldapadd and stops slapd at the end. Access: people read
nothing anonymously; the service account and each person (after binding) read the tree;
passwords are only usable to bind.

The office in ``DATA``: budi (Ketua Tim), sari (Tim), dodi (Tim, disabled: employeeType
``nonaktif``, the test's LDAP_DISABLED_FILTER), and the service account sopflow.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import missing

SLAPD = "/usr/sbin/slapd"
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=kantor,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "akar-rahasia"
SERVICE_DN = f"cn=sopflow,ou=services,{SUFFIX}"
SERVICE_PW = "layanan-rahasia"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORDS = {"budi": "sandi-budi", "sari": "sandi-sari", "dodi": "sandi-dodi"}


def _person(uid: str, name: str, extra: str = "") -> str:
    return (
        f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n"
        f"sn: {name.split()[-1]}\nmail: {uid}@kantor.test\nuserPassword: {PASSWORDS[uid]}\n"
        f"{extra}\n"
    )


def _group(cn: str, *uids: str) -> str:
    members = "".join(f"member: uid={u},{PEOPLE}\n" for u in uids)
    return f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n{members}\n"


DATA = (
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Kantor\ndc: kantor\n\n"
    f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
    f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n"
    f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n"
    f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
    f"cn: sopflow\nuserPassword: {SERVICE_PW}\n\n"
    + _person("budi", "Budi Santoso")
    + _person("sari", "Sari Wulandari")
    + _person("dodi", "Dodi Pratama", "employeeType: nonaktif\n")
    + _group("sopflow-ketua", "budi")
    + _group("sopflow-tim", "sari", "dodi")
)

CONF = """\
include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {schemas}/nis.schema
modulepath {modules}
moduleload back_mdb
moduleload memberof
pidfile {folder}/slapd.pid
database mdb
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {folder}/data
maxsize 10485760
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
overlay memberof
"""


@dataclass
class Slapd:
    url: str
    folder: Path
    process: subprocess.Popen

    @contextmanager
    def hung(self) -> Iterator[None]:
        """Freeze slapd (SIGSTOP) for the block: connections are still accepted by the kernel
        but nothing answers, like a directory server that hangs."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def settings(self, **changes) -> dict:
        """The app's ``LDAP`` config for this server (see webapp/config.py ``_directory``)."""
        settings = {
            "urls": [self.url],
            "start_tls": False,
            "ca_file": "",
            "bind_dn": SERVICE_DN,
            "bind_password": SERVICE_PW,
            "base_dn": PEOPLE,
            "user_filter": "(uid={username})",
            "groups": "memberof",
            "group_base_dn": GROUPS,
            "group_filter": "(&(objectClass=groupOfNames)(member={dn}))",
            "role_map": {"sopflow-ketua": ["Ketua Tim"], "sopflow-tim": ["Tim"]},
            "disabled_filter": "(employeeType=nonaktif)",
            "timeout": 3.0,
        }
        settings.update(changes)
        return settings

    def modify(self, ldif: str) -> None:
        """Change the directory as its administrator would (ldapmodify)."""
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW],
            input=ldif,
            text=True,
            check=True,
            capture_output=True,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (it was free a moment ago)."""
    return free_port()


@contextmanager
def running_slapd(folder: Path) -> Iterator[Slapd]:
    """Start a slapd of our own in ``folder``; fail in CI / skip elsewhere when it is missing."""
    if not Path(SLAPD).exists() or shutil.which("ldapadd") is None:
        missing("slapd or ldapadd not installed (apt-get install slapd ldap-utils)")
    (folder / "data").mkdir(parents=True)
    conf = folder / "slapd.conf"
    conf.write_text(
        CONF.format(
            schemas=SCHEMAS,
            modules=MODULES,
            folder=folder,
            suffix=SUFFIX,
            root_dn=ROOT_DN,
            root_pw=ROOT_PW,
        )
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("w")
    # -d 0: stay in the foreground (our child, so it is ours to stop), log nothing.
    proc = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"], stdout=log, stderr=log
    )
    try:
        started = time.monotonic()
        while True:
            probe = subprocess.run(
                ["ldapwhoami", "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PW],
                capture_output=True,
                text=True,
            )
            if probe.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() - started > 20:
                raise RuntimeError(
                    f"slapd did not start: {(folder / 'slapd.log').read_text()[-2000:]}"
                )
            time.sleep(0.05)  # polling for the server to listen, not waiting for time
        subprocess.run(
            ["ldapadd", "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PW],
            input=DATA,
            text=True,
            check=True,
            capture_output=True,
        )
        yield Slapd(url=url, folder=folder, process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
