module github.com/fastws/fastws

go 1.26
