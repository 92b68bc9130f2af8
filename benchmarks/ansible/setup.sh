#!/usr/bin/env bash
# The peer of benchmarks/real_server.py's "apply 50 users": the Ansible collection
# community.proxysql, in a venv of its own (benchmarks/.venv-ansible, not the project's).
#
#   bash benchmarks/ansible/setup.sh
#
# The `ansible` package from PyPI bundles community.proxysql (ansible 12.3.0 carries 1.7.0),
# so no Ansible Galaxy access is needed; pymysql is the driver the collection uses.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=$here/../.venv-ansible
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "ansible==12.3.0" "pymysql==1.2.4"
"$venv/bin/ansible-galaxy" collection list community.proxysql
