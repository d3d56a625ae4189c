# Sourced by tests that need ssh: a throw-away sshd on 127.0.0.1, on a free
# high port, with its own host key, config and authorized_keys (the user key
# $HOME/.ssh/id_ed25519), stopped when the test exits.  libgit2 reads
# $HOME/.ssh/known_hosts; ssh(1) gets its config from $T_SSH_CONFIG
# (ssh -F), where each started server is a Host alias.
#
#   t_sshd NAME [VAR=VALUE...]   start a server known as NAME to ssh; its
#                                sessions get the VAR=VALUE environment;
#                                skips the whole script when it cannot start
#   T_SSHD_PORT                  the port of the last server started

t_sshd_pids=
T_SSH_CONFIG=$T_TMP/ssh_config
trap 'for p in $t_sshd_pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; t_cleanup' EXIT

t_sshd()
{
	local name=$1 d=$T_TMP/sshd-$1 up= pid
	shift
	[ -x /usr/sbin/sshd ] || t_skip_all "sshd is not installed (Debian openssh-server)"
	command -v ssh-keygen >/dev/null || t_skip_all "ssh-keygen is not installed"
	unset SSH_AUTH_SOCK SSH_AGENT_PID
	mkdir -p "$d" "$HOME/.ssh"
	[ -f "$HOME/.ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$HOME/.ssh/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	cp "$HOME/.ssh/id_ed25519.pub" "$d/authorized_keys"
	T_SSHD_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$d/sshd_config" <<EOC
ListenAddress 127.0.0.1
Port $T_SSHD_PORT
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
MaxStartups 64
MaxSessions 64
${1:+SetEnv $*}
EOC
	# sshd refuses to start as root without its privilege separation directory.
	[ "$(id -u)" != 0 ] || mkdir -p /run/sshd
	/usr/sbin/sshd -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
	pid=$!
	t_sshd_pids="$t_sshd_pids $pid"
	for _ in $(seq 50); do
		kill -0 $pid 2>/dev/null || break
		(exec 3<>"/dev/tcp/127.0.0.1/$T_SSHD_PORT") 2>/dev/null && { up=1; break; }
		sleep 0.1
	done
	[ -n "$up" ] || t_skip_all "sshd did not start: $(head -c 300 "$d/sshd.log" | tr '\n' ' ')"
	echo "[127.0.0.1]:$T_SSHD_PORT $(cut -d' ' -f1,2 "$d/host_key.pub")" >>"$HOME/.ssh/known_hosts"
	cat >>"$T_SSH_CONFIG" <<EOC
Host $name
	HostName 127.0.0.1
	Port $T_SSHD_PORT
	User $(id -un)
	IdentityFile $HOME/.ssh/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $HOME/.ssh/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
EOC
}
