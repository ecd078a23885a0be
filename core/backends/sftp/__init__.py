"""An SFTP server as a backend (asyncssh): ``backend`` is the file surface, ``connect`` the
way in (``~/.ssh/config``, keys, the agent, known_hosts)."""
