using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>TLS material for a server started with client-certificate authentication.</summary>
public sealed record EtcdTls(string CaFile, string ServerCertFile, string ServerKeyFile, string ClientCertFile, string ClientKeyFile);

/// <summary>
/// A private etcd server (Debian's etcd-server) on 127.0.0.1 with free ports and a temporary data
/// directory, killed and deleted on disposal (and at process exit, should disposal never run).
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private static readonly Lock AllLock = new();
    private static readonly HashSet<EtcdServer> All = [];
    private readonly StringBuilder _output = new();
    private Process? _process;

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

    private EtcdServer(string directory, int clientPort, int peerPort, EtcdTls? tls, string? networkNamespace = null)
    {
        NetworkNamespace = networkNamespace;
        Directory = directory;
        ClientPort = clientPort;
        PeerPort = peerPort;
        Tls = tls;
    }

    /// <summary>Why etcd cannot run here, or null when etcd and etcdctl are installed.</summary>
    public static string? MissingReason =>
        FindOnPath("etcd") is null ? "etcd is not installed (Debian package etcd-server)"
        : FindOnPath("etcdctl") is null ? "etcdctl is not installed (Debian package etcd-client)"
        : null;

    public string Directory { get; }

    /// <summary>The named network namespace etcd (and etcdctl) run in, or null for this process's.</summary>
    public string? NetworkNamespace { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

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

    public static async Task<EtcdServer> StartAsync(Func<string, EtcdTls>? makeTls = null, string? networkNamespace = null, CancellationToken cancellationToken = default)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("ovl-etcd-").FullName;
        var server = new EtcdServer(directory, FreePort(), FreePort(), makeTls?.Invoke(directory), networkNamespace);
        lock (AllLock)
        {
            All.Add(server);
        }

        try
        {
            await server.StartProcessAsync(cancellationToken);
            return server;
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
            "--name=ovl-test",
            "--data-dir=" + Path.Combine(Directory, "data"),
            $"--listen-client-urls={scheme}://127.0.0.1:{ClientPort}",
            $"--advertise-client-urls={scheme}://127.0.0.1:{ClientPort}",
            $"--listen-peer-urls=http://127.0.0.1:{PeerPort}",
            $"--initial-advertise-peer-urls=http://127.0.0.1:{PeerPort}",
            $"--initial-cluster=ovl-test=http://127.0.0.1:{PeerPort}",
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

        // Ready when etcdctl can read (a leader is elected). Generous hang guard.
        DateTime giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with {process.ExitCode}: {Output}");
            }

            try
            {
                await CtlAsync("get", "/ovl-ready-probe");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < giveUp)
            {
                await Task.Delay(200, cancellationToken);
            }
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
