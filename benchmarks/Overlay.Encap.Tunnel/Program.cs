using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Overlay.Encap;

[assembly: SupportedOSPlatform("linux")]

namespace Overlay.Encap.Tunnel;

/// <summary>
/// Runs one UDP tunnel engine until SIGTERM/SIGINT, in the network namespace the process was started in:
/// <c>ip netns exec NS dotnet Overlay.Encap.Tunnel.dll --tun ovltun0 --local 198.18.0.1:8285 --peer 198.19.2.0/24=198.18.0.2:8285</c>.
/// Options: <c>--offloads on|off</c> (TUN TSO + UDP GSO/GRO + coalescing; default on), <c>--queues N</c> (TUN queues, one
/// worker each), <c>--busy-poll MICROSECONDS</c> (default 50, 0 sleeps at once), <c>--icmp-source IP</c>. Prints "ready" when the TUN exists and the counters on exit.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string tunName = "ovltun0";
        IPEndPoint? local = null;
        IPAddress? icmpSource = null;
        bool offloads = true;
        int queues = 1;
        TimeSpan busyPoll = UdpTunnelOptions.DefaultBusyPoll;
        var peers = new List<(IPNetwork Subnet, IPEndPoint Endpoint)>();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
            switch (args[i])
            {
                case "--tun": tunName = value; i++; break;
                case "--local": local = IPEndPoint.Parse(value); i++; break;
                case "--icmp-source": icmpSource = IPAddress.Parse(value); i++; break;
                case "--offloads": offloads = value == "on"; i++; break;
                case "--queues": queues = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); i++; break;
                case "--busy-poll": busyPoll = TimeSpan.FromMicroseconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)); i++; break;
                case "--peer":
                    string[] parts = value.Split('=');
                    peers.Add((IPNetwork.Parse(parts[0]), IPEndPoint.Parse(parts[1])));
                    i++;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
                    return 2;
            }
        }

        if (local is null)
        {
            await Console.Error.WriteLineAsync("--local IP:PORT is required");
            return 2;
        }

        using var loggerFactory = new StderrLoggerFactory();
        var options = new TunDeviceOptions
        {
            Name = tunName,
            VirtioNetHeader = offloads,
            Offloads = offloads ? TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4 : TunOffloads.None,
            MultiQueue = queues > 1,
        };
        var devices = new List<TunDevice> { TunDevice.Create(options) };
        for (int q = 1; q < queues; q++)
        {
            devices.Add(devices[0].AttachQueue());
        }

        var tunnel = new UdpTunnel(devices, new UdpTunnelOptions
        {
            LocalEndpoint = local,
            LocalOverlayAddress = icmpSource,
            UdpSegmentationOffload = offloads,
            UdpReceiveOffload = offloads,
            CoalesceTcp = offloads,
            BatchSize = offloads ? 32 : 1,
            BusyPoll = busyPoll,
        }, loggerFactory);
        foreach ((IPNetwork subnet, IPEndPoint endpoint) in peers)
        {
            tunnel.Peers.Set(subnet, endpoint);
        }

        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        Task running = tunnel.RunAsync(stop.Token);
        Console.WriteLine("ready");
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        TunnelStatistics s = tunnel.GetStatistics();
        Console.WriteLine($"egress {s.EgressPackets} packets {s.EgressBytes} bytes in {s.SendCalls} sends from {s.TunReads} TUN reads; " +
            $"ingress {s.IngressPackets} packets {s.IngressBytes} bytes in {s.ReceiveCalls} receives, {s.TunWrites} TUN writes; " +
            $"drops {string.Join(", ", s.Drops.Where(d => d.Value != 0).Select(d => $"{d.Key}={d.Value}"))}");
        await tunnel.DisposeAsync();
        foreach (TunDevice d in devices)
        {
            d.Dispose();
        }

        return 0;
    }
}

/// <summary>A minimal logger factory writing Information and above to stderr (keeps this tool free of logging packages).</summary>
internal sealed class StderrLoggerFactory : ILoggerFactory, ILogger
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{logLevel} [{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
        }
    }

    public void Dispose()
    {
    }
}
