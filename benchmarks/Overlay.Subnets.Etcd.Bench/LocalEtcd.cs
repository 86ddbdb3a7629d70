using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Subnets.Etcd.Bench;

/// <summary>A private etcd on 127.0.0.1 with free ports and a temporary data directory.</summary>
internal sealed class LocalEtcd : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private LocalEtcd(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Endpoint = $"http://127.0.0.1:{port}";
    }

    public string Endpoint { get; }

    public static async Task<LocalEtcd> StartAsync()
    {
        string directory = Directory.CreateTempSubdirectory("ovl-etcd-bench-").FullName;
        int client = FreePort(), peer = FreePort();
        var start = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])[
            "--name=bench", "--data-dir=" + Path.Combine(directory, "data"),
            $"--listen-client-urls=http://127.0.0.1:{client}", $"--advertise-client-urls=http://127.0.0.1:{client}",
            $"--listen-peer-urls=http://127.0.0.1:{peer}", $"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            $"--initial-cluster=bench=http://127.0.0.1:{peer}", "--logger=zap", "--log-level=error"])
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("etcd did not start (apt-get install etcd-server)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var etcd = new LocalEtcd(process, directory, client);
        DateTime giveUp = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, client);
                return etcd;
            }
            catch (SocketException) when (DateTime.UtcNow < giveUp && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch
            {
                etcd.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
