using Microsoft.Extensions.Logging;

namespace Overlay.Netlink.Tests.Support;

/// <summary>Collects log entries (event id, level, message) for assertions.</summary>
public sealed class ListLoggerFactory : ILoggerFactory
{
    public List<(string Category, EventId EventId, LogLevel Level, string Message)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Entries)
            {
                owner.Entries.Add((category, eventId, logLevel, formatter(state, exception)));
            }
        }
    }
}
