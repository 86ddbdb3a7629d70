using System.Diagnostics.Metrics;

namespace Overlay.Encap.Internal;

/// <summary>The tunnel's instruments on the meter <see cref="Tunnel.MeterName"/>, each observing a <see cref="TunnelCounterSet"/> by counter name.</summary>
internal sealed class TunnelMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly TunnelCounterSet _counters;
    private readonly KeyValuePair<string, object?> _device;

    public TunnelMetrics(IMeterFactory? factory, string device, TunnelCounterSet counters)
    {
        _meter = factory?.Create(Tunnel.MeterName) ?? new Meter(Tunnel.MeterName);
        _counters = counters;
        _device = new KeyValuePair<string, object?>("overlay.tun", device);
        _meter.CreateObservableCounter(
            "overlay.encap.tunnel.packets",
            () => Tagged("direction", (TunnelCounter.EgressPackets, "egress"), (TunnelCounter.IngressPackets, "ingress")),
            "{packet}",
            "Inner packets moved, by direction (egress: TUN to network after segmentation; ingress: network to TUN before coalescing).");
        _meter.CreateObservableCounter(
            "overlay.encap.tunnel.bytes",
            () => Tagged("direction", (TunnelCounter.EgressBytes, "egress"), (TunnelCounter.IngressBytes, "ingress")),
            "By",
            "Inner bytes moved, by direction.");
        _meter.CreateObservableCounter("overlay.encap.tunnel.drops", MeasureDrops, "{packet}", "Packets dropped, by reason.");
        _meter.CreateObservableCounter(
            "overlay.encap.tunnel.icmp_unreachable",
            () => new Measurement<long>(_counters.Sum(TunnelCounter.IcmpUnreachable), _device),
            "{packet}",
            "ICMP destination-unreachable messages written into the TUN.");
        _meter.CreateObservableCounter(
            "overlay.encap.tunnel.syscalls",
            () => Tagged(
                "operation",
                (TunnelCounter.SendCalls, "send"),
                (TunnelCounter.ReceiveCalls, "receive"),
                (TunnelCounter.TunReads, "tun_read"),
                (TunnelCounter.TunWrites, "tun_write")),
            "{call}",
            "Data-path system calls, by operation (send, receive, tun_read, tun_write).");
    }

    public void Dispose() => _meter.Dispose();

    private Measurement<long>[] Tagged(string tag, params (TunnelCounter Counter, string Value)[] series)
    {
        var measurements = new Measurement<long>[series.Length];
        for (int i = 0; i < series.Length; i++)
        {
            measurements[i] = new(_counters.Sum(series[i].Counter), _device, new KeyValuePair<string, object?>(tag, series[i].Value));
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> MeasureDrops()
    {
        TunnelStatistics stats = _counters.Snapshot();
        return [.. stats.Drops.Select(d => new Measurement<long>(d.Value, _device, new KeyValuePair<string, object?>("reason", d.Key.ToString())))];
    }
}
