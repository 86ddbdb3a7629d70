using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Overlay.Testing;

/// <summary>TLS material for a server started with client-certificate authentication.</summary>
public sealed record EtcdTls(string CaFile, string ServerCertFile, string ServerKeyFile, string ClientCertFile, string ClientKeyFile);

/// <summary>
/// A private etcd server (Debian's etcd-server) on 127.0.0.1 with its own ports and a temporary data
/// directory, killed and deleted on disposal (and at process exit, should disposal never run).
/// </summary>
/// <remarks>
/// Ports, without a race against other etcds starting in parallel (in this process or in another
/// test process): etcd cannot be handed a bound socket nor report a port it chose, so a port is
/// claimed before etcd binds it. <see cref="PortClaim"/> takes ports from below the kernel's
/// ephemeral range (which <c>bind(0)</c> and outgoing connections use, so those never collide with
/// them), and owns each through a lock on its byte of one file shared by all processes: a claimed port is never handed out twice while its server lives — also while it
/// is down in <see cref="RestartAsync"/> — and the kernel drops the lock when a process dies, so
/// nothing goes stale. A port some unrelated program listens on is skipped by a trial bind; if one
/// takes a port in the instant before etcd binds it, etcd exits with "address already in use" and
/// the start is retried with fresh ports (and a fresh data directory). Readiness is checked against
/// this server's own member name, so another etcd can never be mistaken for it.
/// </remarks>
public sealed class EtcdServer : IAsyncDisposable
{
    private static readonly Lock AllLock = new();
    private static readonly HashSet<EtcdServer> All = [];
    private const int MaxStartAttempts = 5;
    private readonly StringBuilder _output = new();
    private readonly string _name = "ovl-" + Guid.NewGuid().ToString("N")[..12];
    private Process? _process;
    private PortClaim _clientPort;
    private PortClaim _peerPort;

    static EtcdServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            EtcdServer[] servers;
            lock (AllLock)
            {
                servers = [.. All];
            }

            foreach (EtcdServer server in servers)
            {
                server.Kill();
                server.DeleteDataDirectory();
            }
        };
    }

    private EtcdServer(string directory, EtcdTls? tls, string? networkNamespace = null)
    {
        NetworkNamespace = networkNamespace;
        Directory = directory;
        Tls = tls;
        _clientPort = PortClaim.Take(checkBindable: networkNamespace is null);
        _peerPort = PortClaim.Take(checkBindable: networkNamespace is null);
    }

    /// <summary>Why etcd cannot run here, or null when etcd and etcdctl are installed.</summary>
    public static string? MissingReason =>
        FindOnPath("etcd") is null ? "etcd is not installed (Debian package etcd-server)"
        : FindOnPath("etcdctl") is null ? "etcdctl is not installed (Debian package etcd-client)"
        : null;

    public string Directory { get; }

    /// <summary>The named network namespace etcd (and etcdctl) run in, or null for this process's.</summary>
    public string? NetworkNamespace { get; }

    public int ClientPort => _clientPort.Port;

    public int PeerPort => _peerPort.Port;

    public EtcdTls? Tls { get; }

    /// <summary>user:password for etcdctl once authentication is enabled.</summary>
    public string? CtlUser { get; set; }

    public string Endpoint => $"{(Tls is null ? "http" : "https")}://127.0.0.1:{ClientPort}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="makeTls">Makes TLS material in the server's directory (TLS with client certificates), or null for plain HTTP.</param>
    /// <param name="networkNamespace">The named network namespace to run etcd in, or null.</param>
    /// <param name="beforeEachStart">For the fixture's own tests: called with the client and peer port before each start of the process.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<EtcdServer> StartAsync(Func<string, EtcdTls>? makeTls = null, string? networkNamespace = null,
        Action<int, int>? beforeEachStart = null, CancellationToken cancellationToken = default)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("ovl-etcd-").FullName;
        var server = new EtcdServer(directory, makeTls?.Invoke(directory), networkNamespace);
        lock (AllLock)
        {
            All.Add(server);
        }

        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    beforeEachStart?.Invoke(server.ClientPort, server.PeerPort);
                    await server.StartProcessAsync(cancellationToken);
                    return server;
                }
                catch (PortTakenException) when (attempt < MaxStartAttempts)
                {
                    // An unrelated program bound a port between the trial bind and etcd: new ports, new data.
                    server.Kill();
                    server.ReplacePortsAndData();
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills etcd (as a crash would) and starts it again on the same ports and data.</summary>
    public async Task RestartAsync(TimeSpan downtime, CancellationToken cancellationToken = default)
    {
        Kill();
        await Task.Delay(downtime, cancellationToken);
        await StartProcessAsync(cancellationToken);
    }

    public void Kill()
    {
        Process? process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        _process = null;
    }

    /// <summary>Runs etcdctl (API v3) against this server; throws with its output when it fails.</summary>
    public async Task<string> CtlAsync(params string[] args)
    {
        var start = new ProcessStartInfo(NetworkNamespace is null ? "etcdctl" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        AddNamespacePrefix(start, "etcdctl");
        start.ArgumentList.Add("--endpoints=" + Endpoint);
        start.ArgumentList.Add("--command-timeout=20s");
        if (Tls is not null)
        {
            start.ArgumentList.Add("--cacert=" + Tls.CaFile);
            start.ArgumentList.Add("--cert=" + Tls.ClientCertFile);
            start.ArgumentList.Add("--key=" + Tls.ClientKeyFile);
        }

        if (CtlUser is not null)
        {
            start.ArgumentList.Add("--user=" + CtlUser);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"etcdctl {string.Join(' ', args)} failed ({process.ExitCode}): {output} {await stderr}");
        }

        return output;
    }

    /// <summary>Puts a key without an etcd lease (or with <paramref name="leaseId"/>).</summary>
    public Task PutAsync(string key, string value, long leaseId = 0) =>
        leaseId == 0 ? CtlAsync("put", key, "--", value) : CtlAsync("put", "--lease=" + leaseId.ToString("x"), key, "--", value);

    /// <summary>The stored value and etcd lease id of a key, or null when absent.</summary>
    public async Task<(byte[] Value, long Lease)?> GetAsync(string key)
    {
        using JsonDocument json = JsonDocument.Parse(await CtlAsync("get", key, "-w", "json"));
        if (!json.RootElement.TryGetProperty("kvs", out JsonElement kvs) || kvs.GetArrayLength() == 0)
        {
            return null;
        }

        JsonElement kv = kvs[0];
        long lease = kv.TryGetProperty("lease", out JsonElement l) ? l.GetInt64() : 0;
        return (Convert.FromBase64String(kv.GetProperty("value").GetString()!), lease);
    }

    /// <summary>The keys under a prefix.</summary>
    public async Task<string[]> KeysAsync(string prefix) =>
        (await CtlAsync("get", "--prefix", "--keys-only", prefix)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async Task<long> RevisionAsync()
    {
        using JsonDocument json = JsonDocument.Parse(await CtlAsync("get", "/", "-w", "json"));
        return json.RootElement.GetProperty("header").GetProperty("revision").GetInt64();
    }

    public async Task CompactAsync(long revision) => await CtlAsync("compact", revision.ToString());

    public async Task<long> GrantAsync(int ttlSeconds)
    {
        // "lease 694d8a6c2ee2e013 granted with TTL(60s)"
        string output = await CtlAsync("lease", "grant", ttlSeconds.ToString());
        return Convert.ToInt64(output.Split(' ')[1], 16);
    }

    /// <summary>Remaining TTL in seconds of an etcd lease, or -1 when it does not exist.</summary>
    public async Task<long> TimeToLiveAsync(long leaseId)
    {
        using JsonDocument json = JsonDocument.Parse(await CtlAsync("lease", "timetolive", leaseId.ToString("x"), "-w", "json"));
        return json.RootElement.GetProperty("ttl").GetInt64();
    }

    public async Task<int> LeaseCountAsync()
    {
        // "found 2 leases"
        string output = await CtlAsync("lease", "list");
        return int.Parse(output.Split('\n')[0].Split(' ')[1]);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        DeleteDataDirectory();
        _clientPort.Dispose(); // only now may another server get these ports
        _peerPort.Dispose();
        lock (AllLock)
        {
            All.Remove(this);
        }

        await Task.CompletedTask;
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        string scheme = Tls is null ? "http" : "https";
        var start = new ProcessStartInfo(NetworkNamespace is null ? "etcd" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        AddNamespacePrefix(start, "etcd");
        string[] args =
        [
            "--name=" + _name,
            "--data-dir=" + Path.Combine(Directory, "data"),
            $"--listen-client-urls={scheme}://127.0.0.1:{ClientPort}",
            $"--advertise-client-urls={scheme}://127.0.0.1:{ClientPort}",
            $"--listen-peer-urls=http://127.0.0.1:{PeerPort}",
            $"--initial-advertise-peer-urls=http://127.0.0.1:{PeerPort}",
            $"--initial-cluster={_name}=http://127.0.0.1:{PeerPort}",
            "--initial-cluster-state=new",
            "--logger=zap",
            "--log-level=error",
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (Tls is not null)
        {
            start.ArgumentList.Add("--cert-file=" + Tls.ServerCertFile);
            start.ArgumentList.Add("--key-file=" + Tls.ServerKeyFile);
            start.ArgumentList.Add("--trusted-ca-file=" + Tls.CaFile);
            start.ArgumentList.Add("--client-cert-auth");
        }

        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when etcdctl can read (a leader is elected) from this very server: the member name is ours. Generous hang guard.
        DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                process.WaitForExit(); // the output, to its end
                string output = Output;
                if (output.Contains("address already in use", StringComparison.Ordinal))
                {
                    throw new PortTakenException($"etcd could not bind port {ClientPort} or {PeerPort}: {output}");
                }

                throw new InvalidOperationException($"etcd exited with {process.ExitCode}: {output}");
            }

            try
            {
                // Short timeouts (the later flag wins): a program that accepts but never answers costs seconds, not 20.
                await CtlAsync("--command-timeout=3s", "get", "/ovl-ready-probe");
                using JsonDocument members = JsonDocument.Parse(await CtlAsync("--command-timeout=3s", "member", "list", "-w", "json"));
                if (members.RootElement.GetProperty("members").EnumerateArray().Any(m => m.TryGetProperty("name", out JsonElement n) && n.GetString() == _name))
                {
                    return;
                }

                // Another etcd answers on our client port (it cannot stay: ours will fail to bind and be retried).
                throw new InvalidOperationException($"the etcd on port {ClientPort} is not {_name}");
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < giveUp)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>After a start lost its ports: new ports, and a data directory that names none of the old ones.</summary>
    private void ReplacePortsAndData()
    {
        _clientPort.Dispose();
        _peerPort.Dispose();
        _clientPort = PortClaim.Take(checkBindable: NetworkNamespace is null);
        _peerPort = PortClaim.Take(checkBindable: NetworkNamespace is null);
        string data = Path.Combine(Directory, "data");
        if (System.IO.Directory.Exists(data))
        {
            System.IO.Directory.Delete(data, recursive: true);
        }

        lock (_output)
        {
            _output.Clear();
        }
    }

    /// <summary>`ip netns exec NS program` (ip execs the program: same process) when in a namespace.</summary>
    private void AddNamespacePrefix(ProcessStartInfo start, string program)
    {
        if (NetworkNamespace is not null)
        {
            start.ArgumentList.Add("netns");
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(NetworkNamespace);
            start.ArgumentList.Add(program);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 100_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void DeleteDataDirectory()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}

/// <summary>etcd exited because a port it was given is taken.</summary>
public sealed class PortTakenException(string message) : InvalidOperationException(message);

/// <summary>
/// A TCP port on 127.0.0.1 reserved for one test server across all test processes on the machine:
/// a POSIX write lock (<c>fcntl F_SETLK</c>, which <see cref="FileStream.Lock"/> takes) on byte
/// <c>port</c> of one shared file, <c>/tmp/overlay-test-ports.lock</c>, held until
/// <see cref="Dispose"/> and dropped by the kernel if the process dies — one file, however many
/// ports. POSIX locks belong to the process and vanish when any descriptor of the file closes, so the
/// process keeps one descriptor per lock file open for its life and tracks its own claims in a set.
/// Ports come from below the ephemeral range, starting at a random place so that processes rarely
/// even contend for a lock.
/// </summary>
public sealed class PortClaim : IDisposable
{
    /// <summary>The lock file all test processes share.</summary>
    public static readonly string SharedLockFile = Path.Combine(Path.GetTempPath(), "overlay-test-ports.lock");

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (FileStream File, HashSet<int> Held)> Files = new(StringComparer.Ordinal);
    private readonly string _lockFile;
    private int _disposed;

    private PortClaim(int port, string lockFile)
    {
        Port = port;
        _lockFile = lockFile;
    }

    public int Port { get; }

    /// <summary>Claims a port that no other claim holds and, with <paramref name="checkBindable"/>,
    /// that 127.0.0.1 can bind right now (nothing else listens on it).</summary>
    /// <param name="checkBindable">Skip ports something already listens on (false for a server in another network namespace).</param>
    /// <param name="lockFile">For the claim's own tests: a private lock file instead of <see cref="SharedLockFile"/>.</param>
    public static PortClaim Take(bool checkBindable = true, string? lockFile = null)
    {
        lockFile ??= SharedLockFile;
        (int low, int high) = Range();
        int count = high - low + 1;
        int start = Random.Shared.Next(count);
        for (int i = 0; i < count; i++)
        {
            int port = low + ((start + i) % count);
            if (!TryLock(lockFile, port))
            {
                continue;
            }

            if (!checkBindable || IsBindable(port))
            {
                return new PortClaim(port, lockFile);
            }

            Release(lockFile, port);
        }

        throw new InvalidOperationException($"no free port in {low}-{high} on 127.0.0.1");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release(_lockFile, Port);
        }
    }

    /// <summary>Ports below the kernel's ephemeral range (net.ipv4.ip_local_port_range), or that
    /// range itself if too little lies below it.</summary>
    private static (int Low, int High) Range()
    {
        int ephemeralLow = 32768, ephemeralHigh = 60999;
        try
        {
            string[] parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            ephemeralLow = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            ephemeralHigh = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }

        return ephemeralLow - 1 >= 12_000 ? (10_000, ephemeralLow - 1) : (ephemeralLow, ephemeralHigh);
    }

    private static bool TryLock(string lockFile, int port)
    {
        lock (Gate)
        {
            if (!Files.TryGetValue(lockFile, out var entry))
            {
                entry = (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite), []);
                Files[lockFile] = entry;
            }

            if (entry.Held.Contains(port))
            {
                return false; // ours already: POSIX locks do not conflict within a process
            }

            try
            {
                entry.File.Lock(port, 1);
            }
            catch (IOException)
            {
                return false; // claimed by another process's live server
            }

            entry.Held.Add(port);
            return true;
        }
    }

    private static void Release(string lockFile, int port)
    {
        lock (Gate)
        {
            var (file, held) = Files[lockFile];
            if (held.Remove(port))
            {
                file.Unlock(port, 1);
            }
        }
    }

    /// <summary>True when 127.0.0.1 can listen on <paramref name="port"/> now (nothing listens on it).</summary>
    public static bool IsBindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
