module github.com/accord-dev/accord

go 1.26
